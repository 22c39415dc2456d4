import AegisCore
import AegisProviderHTTP
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One version of a secret as Secret Manager lists it (no payload).
struct SecretManagerVersion: Sendable, Hashable {
    enum State: String, Sendable { case enabled = "ENABLED", disabled = "DISABLED", destroyed = "DESTROYED" }

    var number: Int
    var state: State
    var created: Date?

    init?(json: [String: Any]) {
        guard let name = json["name"] as? String, let number = name.split(separator: "/").last.flatMap({ Int($0) }) else { return nil }
        self.number = number
        switch json["state"] {
        case let text as String: state = State(rawValue: text) ?? .disabled
        case let code as Int: state = code == 1 ? .enabled : code == 3 ? .destroyed : .disabled
        default: state = .disabled
        }
        created = (json["createTime"] as? String).flatMap(Timestamps.parseISO8601)
    }

    init(number: Int, state: State, created: Date?) {
        self.number = number
        self.state = state
        self.created = created
    }
}

/// A secret's metadata: aliases (alias → version number), annotations, and the etag that makes a
/// change to them conditional on nobody having changed them since they were read.
struct SecretManagerSecret: Sendable {
    var aliases: [String: Int]
    var annotations: [String: String]
    var etag: String?

    init(json: [String: Any]) {
        var aliases: [String: Int] = [:]
        for (alias, value) in json["versionAliases"] as? [String: Any] ?? [:] {
            if let number = (value as? String).flatMap(Int.init) ?? (value as? Int) { aliases[alias] = number }
        }
        self.aliases = aliases
        annotations = json["annotations"] as? [String: String] ?? [:]
        etag = json["etag"] as? String
    }
}

/// Secret Manager's REST API v1, as far as the store needs it. Every call carries a bearer token
/// from ``GoogleTokens``; a 401 drops the cached token and is tried once more with a new one.
/// Payloads go out with their CRC32C and come back checked against theirs.
struct SecretManagerClient: Sendable {
    static let defaultEndpoint = URL(string: "https://secretmanager.googleapis.com")!
    static let maxRateLimitWait: Duration = .seconds(30)

    let endpoint: URL
    let http: HTTPClient
    let tokens: GoogleTokens
    let timeout: Duration

    func secret(_ name: SecretManagerName) async throws(GCPError) -> SecretManagerSecret {
        let body = try await send(.GET, "/v1/\(name.path)", operation: "get \(name.path)")
        return SecretManagerSecret(json: Self.object(body))
    }

    /// Every version, newest first.
    func versions(_ name: SecretManagerName) async throws(GCPError) -> [SecretManagerVersion] {
        var versions: [SecretManagerVersion] = []
        var pageToken: String?
        for _ in 0..<100 {
            var path = "/v1/\(name.path)/versions?pageSize=100"
            if let pageToken { path += "&pageToken=\(pageToken.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            let object = Self.object(try await send(.GET, path, operation: "list versions of \(name.path)"))
            versions += (object["versions"] as? [[String: Any]] ?? []).compactMap(SecretManagerVersion.init(json:))
            guard let next = object["nextPageToken"] as? String, !next.isEmpty else { break }
            pageToken = next
        }
        return versions.sorted { $0.number > $1.number }
    }

    /// `addVersion` with the payload's CRC32C; the new version's number.
    func addVersion(_ name: SecretManagerName, value: SecretValue) async throws(GCPError) -> SecretManagerVersion {
        let bytes = value.revealSecretBytes()
        let payload: [String: Any] = ["payload": ["data": Data(bytes).base64EncodedString(), "dataCrc32c": String(CRC32C.checksum(bytes))]]
        let operation = "add a version to \(name.path)"
        let body = try await send(.POST, "/v1/\(name.path):addVersion", operation: operation, json: payload)
        guard let version = SecretManagerVersion(json: Self.object(body)) else {
            throw GCPError(operation: operation, unusable: "the answer names no version")
        }
        return version
    }

    /// The payload of version `number`, refused when its CRC32C does not match.
    func access(_ name: SecretManagerName, version number: Int) async throws(GCPError) -> SecretValue {
        let operation = "access \(name.path)/versions/\(number)"
        let object = Self.object(try await send(.GET, "/v1/\(name.path)/versions/\(number):access", operation: operation))
        guard let payload = object["payload"] as? [String: Any], let data = (payload["data"] as? String).flatMap({ Data(base64Encoded: $0) }) else {
            throw GCPError(operation: operation, unusable: "the answer has no payload")
        }
        let sent = (payload["dataCrc32c"] as? String).flatMap(UInt32.init) ?? (payload["dataCrc32c"] as? Int).map(UInt32.init)
        guard let sent, sent == CRC32C.checksum(data) else {
            throw GCPError(operation: operation, unusable: "the payload's CRC32C does not match (corrupted in transit or at rest)")
        }
        return SecretValue(bytes: Array(data))
    }

    func disable(_ name: SecretManagerName, version number: Int) async throws(GCPError) {
        _ = try await send(.POST, "/v1/\(name.path)/versions/\(number):disable", operation: "disable \(name.path)/versions/\(number)", json: [:])
    }

    /// Replaces the secret's aliases and annotations, only if its etag is still `secret.etag`.
    func update(_ name: SecretManagerName, aliases: [String: Int], annotations: [String: String], etag: String?) async throws(GCPError) {
        var body: [String: Any] = ["versionAliases": aliases.mapValues(String.init), "annotations": annotations]
        if let etag { body["etag"] = etag }
        _ = try await send(.PATCH, "/v1/\(name.path)?updateMask=versionAliases,annotations", operation: "update the aliases of \(name.path)", json: body)
    }

    static func object(_ body: Data) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
    }

    func send(_ method: HTTPMethod, _ path: String, operation: String, json: [String: Any]? = nil) async throws(GCPError) -> Data {
        let body = try json.map { object throws(GCPError) -> Data in
            guard let data = try? JSONSerialization.data(withJSONObject: object) else {
                throw GCPError(operation: operation, unusable: "the request could not be encoded")
            }
            return data
        }
        for attempt in 0..<2 {
            var headers = HTTPHeaders()
            headers.add(name: "Authorization", value: "Bearer \(try await tokens.token().revealSecretString())")
            let answer: (status: Int, headers: HTTPHeaders, body: Data)
            do {
                answer = try await ProviderHTTP(base: endpoint, http: http, timeout: timeout)
                    .execute(method, path, headers: headers, body: body, rateLimitWait: Self.rateLimitWait)
            } catch {
                throw GCPError(operation: operation, unreachable: error)
            }
            if answer.status == 401, attempt == 0 {
                await tokens.invalidate()
                continue
            }
            guard (200..<300).contains(answer.status) else { throw GCPError(operation: operation, status: answer.status, body: answer.body) }
            return answer.body
        }
        throw GCPError(operation: operation, unusable: "refused twice")
    }

    static func rateLimitWait(_ headers: HTTPHeaders) -> Duration? {
        let seconds = headers.first(name: "retry-after").flatMap(Int.init) ?? 1
        guard seconds <= Int(maxRateLimitWait.components.seconds) else { return nil }
        return .seconds(max(1, seconds))
    }
}

/// `projects/<project>/secrets/<secret>`, checked: a project ID and a secret ID as Google allows
/// them, so neither can add a path segment or a query.
struct SecretManagerName: Sendable, Hashable {
    let project: String
    let secret: String

    var path: String { "projects/\(project)/secrets/\(secret)" }

    init(_ location: StorageLocation) throws {
        guard let project = location.container, project.range(of: "^[a-z][a-z0-9-]{4,28}[a-z0-9]$", options: .regularExpression) != nil else {
            throw StepError.misconfigured("\(location.displayName): storage.container must be the GCP project ID (6-30 lowercase letters, digits, hyphens)")
        }
        guard location.name.range(of: "^[A-Za-z0-9_-]{1,255}$", options: .regularExpression) != nil else {
            throw StepError.misconfigured("\(location.displayName): a Secret Manager secret ID is 1-255 letters, digits, hyphens and underscores")
        }
        self.project = project
        secret = location.name
    }
}
