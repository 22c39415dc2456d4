import Foundation

/// Keeps the credentials a provider returned and fetches new ones `refreshMargin` before they
/// expire (5 minutes by default), so a request is never signed with credentials about to die.
///
/// However many callers ask while a refresh runs, the source is asked once: they all wait for
/// the same task. If a refresh fails while the cached credentials have not yet expired, those
/// are still returned (the next call tries again).
public actor CachingCredentialProvider: AWSCredentialProvider {
    public nonisolated let name: String
    let source: any AWSCredentialProvider
    let refreshMargin: TimeInterval
    let now: @Sendable () -> Date

    var cached: AWSCredentials?
    var refresh: Task<AWSCredentials?, any Error>?

    public init(_ source: any AWSCredentialProvider, refreshMargin: TimeInterval = 300, now: @escaping @Sendable () -> Date = Date.init) {
        self.source = source
        self.name = "cached \(source.name)"
        self.refreshMargin = refreshMargin
        self.now = now
    }

    public func credentials() async throws -> AWSCredentials? {
        let time = now()
        if let cached, !cached.expires(within: refreshMargin, now: time) { return cached }
        let task: Task<AWSCredentials?, any Error>
        if let refresh {
            task = refresh
        } else {
            let source = source
            task = Task { try await source.credentials() }
            refresh = task
        }
        do {
            let fresh = try await task.value
            if refresh == task { refresh = nil }
            cached = fresh
            return fresh
        } catch {
            if refresh == task { refresh = nil }
            if let cached, let expiration = cached.expiration, expiration > now() { return cached }
            throw error
        }
    }

    /// Drops the cached credentials (e.g. after AWS refused them).
    public func invalidate() {
        cached = nil
    }
}
