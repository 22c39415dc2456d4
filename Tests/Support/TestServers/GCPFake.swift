import Foundation
import NIOHTTP1

/// `gcp_fake.py`: Secret Manager and the OAuth token endpoint over TLS, the metadata server on a
/// second plain-HTTP port, and a service-account key file (`service-account.json`) it trusts.
public struct GCPFake: Sendable {
    public static let project = "aegis-fake-project"

    public let server: TLSPythonFake
    public let metadataPort: Int

    public var url: String { server.url }
    public var caBundle: String { server.caBundle }
    public var log: String { server.log }
    public var serviceAccountFile: String { server.certDirectory.appendingPathComponent("service-account.json").path }
    public var metadataHost: String { "127.0.0.1:\(metadataPort)" }

    public static func start() async throws -> GCPFake {
        let server = try await TLSPythonFake.start("gcp", arguments: ["--project", project])
        do {
            try await waitUntil("the GCP fake to print its metadata port", timeout: .seconds(10)) {
                server.fake.process.stdout.contains("METADATA ")
            }
            let line = server.fake.process.stdout.split(separator: "\n").first { $0.hasPrefix("METADATA ") }
            guard let port = line.flatMap({ Int($0.dropFirst("METADATA ".count).trimmingCharacters(in: .whitespaces)) }) else {
                throw ServerError("the GCP fake printed no metadata port")
            }
            return GCPFake(server: server, metadataPort: port)
        } catch {
            await server.stop()
            throw error
        }
    }

    public static func with<T: Sendable>(_ body: @Sendable (GCPFake) async throws -> T) async throws -> T {
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

    /// A static access token the fake accepts.
    public func accessToken() async throws -> String {
        let object = try await server.control(.POST, "/_fake/tokens", [:]) as? [String: Any]
        guard let token = object?["access_token"] as? String else { throw ServerError("the GCP fake made no token") }
        return token
    }

    /// Makes a secret with automatic replication and, if given, a first version (as a person
    /// would with gcloud), through the API itself.
    public func makeSecret(_ id: String, firstValue: String?) async throws {
        let token = try await accessToken()
        let headers = ["Authorization": "Bearer \(token)"]
        let fake = server
        let created = try await fake.api(.POST, "/v1/projects/\(Self.project)/secrets?secretId=\(id)", headers: headers,
                                         ["replication": ["automatic": [:] as [String: Any]]])
        guard created.status == 200 else { throw ServerError("the GCP fake did not create \(id): HTTP \(created.status)") }
        if let firstValue {
            let added = try await fake.api(.POST, "/v1/projects/\(Self.project)/secrets/\(id):addVersion", headers: headers,
                                           ["payload": ["data": Data(firstValue.utf8).base64EncodedString()]])
            guard added.status == 200 else { throw ServerError("the GCP fake added no version to \(id): HTTP \(added.status)") }
        }
    }

    /// The secret as the fake holds it: its aliases, annotations and every version, oldest first.
    public func secret(_ id: String) async throws -> (aliases: [String: String], annotations: [String: String], versions: [[String: Any]]) {
        let object = try await server.control(.GET, "/_fake/secrets/\(Self.project)/\(id)") as? [String: Any] ?? [:]
        let secret = object["secret"] as? [String: Any] ?? [:]
        return ((secret["versionAliases"] as? [String: Any] ?? [:]).mapValues { "\($0)" },
                secret["annotations"] as? [String: String] ?? [:], object["versions"] as? [[String: Any]] ?? [])
    }

    /// The value an application reading `versions/<alias>` gets.
    public func value(_ id: String, alias: String) async throws -> String? {
        let (aliases, _, versions) = try await secret(id)
        guard let number = aliases[alias] else { return nil }
        return versions.first { "\($0["number"] ?? "")" == number }?["value"] as? String
    }

    /// Every value the fake holds for the secret, for leak scans.
    public func allValues(_ id: String) async throws -> [String] {
        try await secret(id).versions.compactMap { $0["value"] as? String }.filter { $0.count >= 16 }
    }

    public func fail(method: String, pathPrefix: String, status: Int, count: Int = 1) async throws {
        try await server.control(.POST, "/_fake/fail", ["method": method, "path_prefix": pathPrefix, "status": status, "count": count])
    }

    public func requests() async throws -> [[String: Any]] {
        try await server.control(.GET, "/_fake/requests") as? [[String: Any]] ?? []
    }
}
