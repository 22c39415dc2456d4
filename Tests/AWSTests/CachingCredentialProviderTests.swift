import AegisAWS
import AegisCore
import Foundation
import Synchronization
import Testing

/// Refresh before expiry, with one fetch however many callers wait.
@Suite("credentials: caching and refresh before expiry")
struct CachingCredentialProviderTests {
    /// Counts fetches; each takes a moment so concurrent callers really overlap.
    final class CountingProvider: AWSCredentialProvider {
        let name = "counting"
        let fetches = Mutex(0)
        let lifetime: TimeInterval
        let clock: TestClock

        init(lifetime: TimeInterval, clock: TestClock) {
            self.lifetime = lifetime
            self.clock = clock
        }

        /// Callers that have asked the cache in the current round; a fetch holds until all of
        /// them have, so they really wait on the same refresh.
        let entered = Mutex(0)
        let expectedCallers = Mutex(0)

        func credentials() async throws -> AWSCredentials? {
            let number = fetches.withLock { $0 += 1; return $0 }
            let deadline = ContinuousClock.now + .seconds(10)
            while entered.withLock({ $0 }) < expectedCallers.withLock({ $0 }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            return AWSCredentials(accessKeyID: "ASIAFETCH\(number)", secretAccessKey: SecretValue(utf8: "s\(number)"),
                                  expiration: clock.now.addingTimeInterval(lifetime))
        }
    }

    final class TestClock: Sendable {
        let current = Mutex(Date(timeIntervalSince1970: 2_000_000_000))
        var now: Date { current.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    static func fetchConcurrently(_ provider: CachingCredentialProvider, source: CountingProvider, callers: Int) async throws -> Set<String> {
        source.entered.withLock { $0 = 0 }
        source.expectedCallers.withLock { $0 = callers }
        return try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    source.entered.withLock { $0 += 1 }
                    return try await provider.credentials()?.accessKeyID ?? ""
                }
            }
            var ids: Set<String> = []
            for try await id in group { ids.insert(id) }
            return ids
        }
    }

    @Test("50 concurrent callers: one fetch; refresh 5 minutes early, again once")
    func singleRefresh() async throws {
        let clock = TestClock()
        let source = CountingProvider(lifetime: 3600, clock: clock)
        let cache = CachingCredentialProvider(source, refreshMargin: 300, now: { clock.now })

        #expect(try await Self.fetchConcurrently(cache, source: source, callers: 50) == ["ASIAFETCH1"])
        #expect(source.fetches.withLock { $0 } == 1)

        clock.advance(3600 - 301)  // 5 min 1 s left: still good
        #expect(try await Self.fetchConcurrently(cache, source: source, callers: 10) == ["ASIAFETCH1"])
        #expect(source.fetches.withLock { $0 } == 1)

        clock.advance(2)  // 4 min 59 s left: inside the margin, refresh once
        #expect(try await Self.fetchConcurrently(cache, source: source, callers: 50) == ["ASIAFETCH2"])
        #expect(source.fetches.withLock { $0 } == 2)
    }

    @Test("long-term keys (no expiration) are fetched once")
    func noExpiration() async throws {
        struct Fixed: AWSCredentialProvider {
            let name = "fixed"
            let counter: @Sendable () -> Void
            func credentials() async throws -> AWSCredentials? {
                counter()
                return AWSCredentials(accessKeyID: "AKIDFIXED", secretAccessKey: SecretValue(utf8: "k"))
            }
        }
        let box = CounterBox()
        let cache = CachingCredentialProvider(Fixed(counter: { box.increment() }))
        for _ in 0..<5 { _ = try await cache.credentials() }
        #expect(box.value == 1)
    }

    final class CounterBox: Sendable {
        let count = Mutex(0)
        func increment() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
    }
}
