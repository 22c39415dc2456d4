import Foundation

/// A source of AWS credentials (environment, files, STS, container, instance metadata).
///
/// `credentials()` returns nil when the source is not configured here, so a chain moves on to
/// the next one; it throws when the source is configured but fails, so a broken setup is
/// reported instead of silently falling through to a different identity.
public protocol AWSCredentialProvider: Sendable {
    /// For messages: "environment", "web identity", …
    var name: String { get }
    func credentials() async throws -> AWSCredentials?
}

/// A credential source that is configured but failed, or no source at all. Never holds a
/// secret: it names the provider, the setting or file and what went wrong.
public struct AWSCredentialError: Error, Sendable, CustomStringConvertible {
    public var provider: String
    public var message: String

    public init(provider: String, message: String) {
        self.provider = provider
        self.message = message
    }

    public var description: String { "AWS credentials (\(provider)): \(message)" }
}

/// Fixed credentials (tests, or keys the bot has just created).
public struct StaticCredentialProvider: AWSCredentialProvider {
    public let name = "static"
    let value: AWSCredentials

    public init(_ credentials: AWSCredentials) { value = credentials }

    public func credentials() async throws -> AWSCredentials? { value }
}

/// Tries providers in order and keeps the first that answers.
public struct AWSCredentialChain: AWSCredentialProvider {
    public let name = "chain"
    public let providers: [any AWSCredentialProvider]

    public init(_ providers: [any AWSCredentialProvider]) { self.providers = providers }

    public func credentials() async throws -> AWSCredentials? {
        for provider in providers {
            if let found = try await provider.credentials() { return found }
        }
        throw AWSCredentialError(
            provider: name,
            message: "no credentials found (tried \(providers.map(\.name).joined(separator: ", ")))")
    }
}
