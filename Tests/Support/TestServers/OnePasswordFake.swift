import Foundation
import NIOHTTP1

/// `onepassword_fake.py` (the 1Password Connect server's REST API, plain HTTP on loopback like a
/// Connect sidecar) with one vault and a read-write token scoped to it: where a test's bot keeps
/// the development JWT secret, and what the test reads every item version from.
public struct OnePasswordFake: Sendable {
    public static let vaultName = "aegis-dev"

    public let server: PythonFake
    public let vaultID: String
    public let token: String

    public var url: String { server.url }
    public var log: String { server.log }

    public static func start() async throws -> OnePasswordFake {
        let server = try await PythonFake.start("onepassword")
        do {
            let vault = try await server.control(.POST, "/_fake/vaults", ["name": vaultName]) as? [String: Any]
            guard let vaultID = vault?["id"] as? String else { throw ServerError("the 1Password fake made no vault") }
            let token = try await server.control(.POST, "/_fake/tokens", ["vaults": [vaultID], "write": true]) as? [String: Any]
            guard let token = token?["token"] as? String else { throw ServerError("the 1Password fake made no token") }
            return OnePasswordFake(server: server, vaultID: vaultID, token: token)
        } catch {
            await server.stop()
            throw error
        }
    }

    public static func with<T: Sendable>(_ body: @Sendable (OnePasswordFake) async throws -> T) async throws -> T {
        let fake = try await start()
        do {
            let result = try await body(fake)
            await fake.stop()
            return result
        } catch {
            await fake.stop()
            throw error
        }
    }

    public func stop() async { await server.stop() }

    /// The settings that make the bot use this fake.
    public var environment: [String: String] { ["OP_CONNECT_HOST": url, "OP_CONNECT_TOKEN": token] }

    /// Another token: read-only, or for other vaults (`vaults` IDs, or all when nil).
    public func makeToken(vaults: [String]?, write: Bool) async throws -> String {
        let body: [String: Any] = ["vaults": vaults.map { $0 as Any } ?? "all", "write": write]
        guard let token = (try await server.control(.POST, "/_fake/tokens", body) as? [String: Any])?["token"] as? String else {
            throw ServerError("the 1Password fake made no token")
        }
        return token
    }

    /// Makes a vault (as a person would in 1Password) and returns its ID.
    public func makeVault(_ name: String) async throws -> String {
        guard let id = (try await server.control(.POST, "/_fake/vaults", ["name": name]) as? [String: Any])?["id"] as? String else {
            throw ServerError("the 1Password fake made no vault")
        }
        return id
    }

    /// Makes a PASSWORD item whose password field holds `password` (as a person would); its ID.
    @discardableResult
    public func makeItem(_ title: String, password: String, vaultID: String? = nil, category: String = "PASSWORD") async throws -> String {
        let body: [String: Any] = [
            "vault": vaultID ?? self.vaultID, "title": title, "category": category,
            "fields": [["id": "password", "type": "CONCEALED", "purpose": "PASSWORD", "label": "password", "value": password]],
        ]
        guard let id = (try await server.control(.POST, "/_fake/items", body) as? [String: Any])?["id"] as? String else {
            throw ServerError("the 1Password fake made no item")
        }
        return id
    }

    /// The item's fields now: label → value.
    public func fields(_ itemID: String) async throws -> [String: String] {
        let item = try await server.control(.GET, "/_fake/items/\(vaultID)/\(itemID)") as? [String: Any] ?? [:]
        return Self.fields(of: item)
    }

    /// Every version the item had, oldest first (the real API shows none of them; the fake keeps
    /// them so a test can see that nothing was lost).
    public func history(_ itemID: String) async throws -> [(version: Int, fields: [String: String])] {
        let versions = try await server.control(.GET, "/_fake/items/\(vaultID)/\(itemID)/history") as? [[String: Any]] ?? []
        return versions.map { ($0["version"] as? Int ?? 0, Self.fields(of: $0)) }
    }

    /// Every item version, values included, as text (for leak scans: what the store may hold).
    public func historyText(_ itemID: String) async throws -> String {
        let versions = try await server.control(.GET, "/_fake/items/\(vaultID)/\(itemID)/history")
        return String(decoding: try JSONSerialization.data(withJSONObject: versions), as: UTF8.self)
    }

    public func requests() async throws -> [[String: Any]] {
        try await server.control(.GET, "/_fake/requests") as? [[String: Any]] ?? []
    }

    public func fail(method: String, pathPrefix: String = "/v1/vaults", status: Int, count: Int = 1) async throws {
        try await server.control(.POST, "/_fake/fail", ["method": method, "path_prefix": pathPrefix, "status": status, "count": count])
    }

    static func fields(of item: [String: Any]) -> [String: String] {
        var fields: [String: String] = [:]
        for field in item["fields"] as? [[String: Any]] ?? [] {
            if let label = field["label"] as? String { fields[label] = field["value"] as? String ?? "" }
        }
        return fields
    }
}
