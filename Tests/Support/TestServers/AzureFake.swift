import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// `azure_fake.py` (token endpoint, Graph and Key Vault on one HTTPS port) with its throwaway CA
/// in a temporary folder. `control` speaks its `/_fake/…` API over TLS trusting only that CA.
public final class AzureFake: Sendable {
    public let server: TLSPythonFake

    public var fake: PythonFake { server.fake }
    /// `https://127.0.0.1:<port>`: the authority host, Graph and the vault at once.
    public var url: String { server.url }
    /// The CA bundle a client must trust (AZURE_CA_BUNDLE).
    public var caBundle: String { server.caBundle }
    public var log: String { server.log }

    init(server: TLSPythonFake) { self.server = server }

    public static func start(pageSize: Int = 2) async throws -> AzureFake {
        AzureFake(server: try await TLSPythonFake.start("azure", arguments: ["--page-size", "\(pageSize)"]))
    }

    public static func with<T: Sendable>(pageSize: Int = 2, _ body: @Sendable (AzureFake) async throws -> T) async throws -> T {
        let azure = try await start(pageSize: pageSize)
        do {
            let result = try await body(azure)
            await azure.stop()
            return result
        } catch {
            await azure.stop()
            throw error
        }
    }

    public func stop() async { await server.stop() }

    /// A `/_fake/…` call: JSON in, JSON out (2xx expected).
    @discardableResult
    public func control(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> Any {
        try await server.control(method, path, body)
    }

    /// An application at the fake. `admin` apps may call Graph and Key Vault (the bot itself).
    public struct App: Sendable {
        public var objectID: String
        public var clientID: String
        public var secret: String
        public var keyID: String
    }

    public func makeApp(_ name: String, admin: Bool, secret: String? = nil) async throws -> App {
        var body: [String: Any] = ["displayName": name, "admin": admin]
        if let secret { body["secret"] = secret }
        let object = try await control(.POST, "/_fake/apps", body) as? [String: Any] ?? [:]
        guard let id = object["id"] as? String, let appID = object["appId"] as? String,
              let value = object["secret"] as? String, let keyID = object["keyId"] as? String else {
            throw ServerError("azure fake made no app: \(object.keys.sorted())")
        }
        return App(objectID: id, clientID: appID, secret: value, keyID: keyID)
    }

    /// The keyIds the application holds now.
    public func keyIDs(_ app: String) async throws -> [String] {
        let object = try await control(.GET, "/_fake/apps/\(app)") as? [String: Any] ?? [:]
        return (object["keyIds"] as? [String] ?? []).map { $0.lowercased() }
    }

    public var tenant: String {
        get async throws {
            let object = try await control(.GET, "/_fake/tenant") as? [String: Any] ?? [:]
            return object["tenantId"] as? String ?? ""
        }
    }

    /// What the vault holds for `name`: each version's value, enabled flag and tags, oldest first.
    public func vault(_ name: String) async throws -> [[String: Any]] {
        let object = try await control(.GET, "/_fake/vault/\(name)") as? [String: Any] ?? [:]
        return object["versions"] as? [[String: Any]] ?? []
    }

    public func fail(method: String, pathPrefix: String, status: Int, count: Int = 1, retryAfter: Int? = nil) async throws {
        var body: [String: Any] = ["method": method, "path_prefix": pathPrefix, "status": status, "count": count]
        if let retryAfter { body["retry_after"] = retryAfter }
        try await control(.POST, "/_fake/fail", body)
    }

    public func requests() async throws -> [[String: Any]] {
        try await control(.GET, "/_fake/requests") as? [[String: Any]] ?? []
    }
}
