import AegisCore
import AegisProviderHTTP
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The 1Password Connect server's REST API (`/v1`), as far as the store needs it: find a vault
/// and an item by name, read the item, patch its fields. Every call carries
/// `Authorization: Bearer <OP_CONNECT_TOKEN>`.
struct ConnectClient: Sendable {
    static let maxRateLimitWait: Duration = .seconds(30)

    let endpoint: URL
    let http: HTTPClient
    let token: SecretValue
    let timeout: Duration

    /// The ID of the one vault the token may read that is called `name` exactly.
    func vaultID(named name: ConnectName) async throws(ConnectError) -> String {
        let operation = "find vault '\(name.text)'"
        let list = try await send(.GET, "/v1/vaults?filter=\(name.filter(attribute: "name"))", operation: operation)
        let matches = (Self.array(list)).filter { $0["name"] as? String == name.text }.compactMap { $0["id"] as? String }
        return try Self.one(matches, operation: operation,
                            none: "no vault by that name that this Connect token may read",
                            many: "\(matches.count) vaults have that name; rename all but one")
    }

    /// The ID of the one item in the vault titled `title` exactly.
    func itemID(titled title: ConnectName, vaultID: String) async throws(ConnectError) -> String {
        let operation = "find item '\(title.text)'"
        let list = try await send(.GET, "/v1/vaults/\(vaultID)/items?filter=\(title.filter(attribute: "title"))", operation: operation)
        let matches = Self.array(list).filter { $0["title"] as? String == title.text }.compactMap { $0["id"] as? String }
        return try Self.one(matches, operation: operation,
                            none: "the vault has no item with that title",
                            many: "\(matches.count) items in the vault have that title; rename all but one")
    }

    func item(_ itemID: String, vaultID: String, title: ConnectName) async throws(ConnectError) -> ConnectItem {
        let operation = "read item '\(title.text)'"
        return try Self.item(try await send(.GET, "/v1/vaults/\(vaultID)/items/\(itemID)", operation: operation), operation: operation)
    }

    /// Applies `operations` as one JSON Patch: all of them or none. The updated item.
    func patch(_ item: ConnectItem, _ operations: [ConnectPatchOperation], title: ConnectName, purpose: String) async throws(ConnectError) -> ConnectItem {
        let operation = "\(purpose) in item '\(title.text)'"
        guard let body = try? JSONSerialization.data(withJSONObject: operations.map(\.json)) else {
            throw ConnectError(operation: operation, unusable: "the patch could not be encoded")
        }
        let answer = try await send(.PATCH, "/v1/vaults/\(item.vaultID)/items/\(item.id)", operation: operation, body: body,
                                    redacting: operations.compactMap(\.value))
        return try Self.item(answer, operation: operation)
    }

    static func one(_ ids: [String], operation: String, none: String, many: String) throws(ConnectError) -> String {
        guard ids.count <= 1 else { throw ConnectError(operation: operation, unusable: many) }
        guard let id = ids.first else { throw ConnectError(operation: operation, unusable: none) }
        guard ConnectName.isConnectID(id) else { throw ConnectError(operation: operation, unusable: "Connect answered an ID that is not one") }
        return id
    }

    static func array(_ body: Data) -> [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: body)) as? [[String: Any]] ?? []
    }

    static func item(_ body: Data, operation: String) throws(ConnectError) -> ConnectItem {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any], let item = ConnectItem(json: object) else {
            throw ConnectError(operation: operation, unusable: "the answer is not an item")
        }
        guard ConnectName.isConnectID(item.id), ConnectName.isConnectID(item.vaultID) else {
            throw ConnectError(operation: operation, unusable: "the item's IDs are not Connect IDs")
        }
        return item
    }

    func send(_ method: HTTPMethod, _ path: String, operation: String, body: Data? = nil,
              redacting secrets: [SecretValue] = []) async throws(ConnectError) -> Data {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(token.revealSecretString())")
        let answer: (status: Int, headers: HTTPHeaders, body: Data)
        do {
            answer = try await ProviderHTTP(base: endpoint, http: http, timeout: timeout)
                .execute(method, path, headers: headers, body: body, rateLimitWait: Self.rateLimitWait)
        } catch {
            throw ConnectError(operation: operation, unreachable: error)
        }
        guard (200..<300).contains(answer.status) else {
            throw ConnectError(operation: operation, status: answer.status, body: answer.body, redacting: secrets)
        }
        return answer.body
    }

    static func rateLimitWait(_ headers: HTTPHeaders) -> Duration? {
        let seconds = headers.first(name: "retry-after").flatMap(Int.init) ?? 1
        guard seconds <= Int(maxRateLimitWait.components.seconds) else { return nil }
        return .seconds(max(1, seconds))
    }
}

/// A vault name or item title from a Commands file, checked so that it can sit inside a SCIM
/// filter's quotes (`title eq "<name>"`) without ending them: no quote, backslash or control
/// character, at most 255 characters.
struct ConnectName: Sendable, Hashable {
    let text: String

    init(_ text: String?, what: String, location: StorageLocation) throws {
        guard let text, !text.isEmpty, text.count <= 255,
              !text.unicodeScalars.contains(where: { $0 == "\"" || $0 == "\\" || $0.properties.generalCategory == .control }) else {
            throw StepError.misconfigured("\(location.displayName): the 1Password \(what) must be 1-255 characters without quotes, backslashes or control characters")
        }
        self.text = text
    }

    /// `<attribute> eq "<name>"`, percent-encoded for a query string.
    func filter(attribute: String) -> String {
        // RFC 3986 unreserved, ASCII only: every other byte of the UTF-8 text is percent-encoded.
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return "\(attribute) eq \"\(text)\"".addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// Connect's vault and item IDs: 26 lowercase letters and digits. Checked before one goes
    /// into a path.
    static func isConnectID(_ id: String) -> Bool {
        id.utf8.count == 26 && id.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) }
    }
}
