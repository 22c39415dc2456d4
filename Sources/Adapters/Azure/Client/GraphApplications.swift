import AegisCore
import Foundation
import NIOHTTP1

/// One password credential of an application, as Graph lists it (never with its secret).
public struct GraphPasswordCredential: Sendable, Hashable {
    public var keyID: String
    public var displayName: String?
    /// The first three characters of the secret (Graph's `hint`). Several secrets can share one.
    public var hint: String?
    public var endDateTime: String?
}

/// What `addPassword` hands out, once.
public struct GraphAddedPassword: Sendable {
    public var keyID: String
    public var secretText: SecretValue
    public var hint: String?
}

/// The Microsoft Graph calls on an application's passwords, with the bot's Graph token.
/// `{application}` is the application's object ID.
public struct GraphApplications: Sendable {
    public let graph: URL
    let http: AzureHTTP
    let tokens: EntraTokenCache

    public init(graph: URL, http: AzureHTTP, tokens: EntraTokenCache) {
        self.graph = graph
        self.http = http
        self.tokens = tokens
    }

    var scope: String { Self.scope(for: graph) }

    /// The token scope for a Graph endpoint: its own origin for a Microsoft Graph host (national
    /// clouds: graph.microsoft.us, microsoftgraph.chinacloudapi.cn), otherwise (a proxy, a private
    /// endpoint, the test fake) the global Graph resource, which is what the token names.
    public static func scope(for graph: URL) -> String {
        let host = graph.host?.lowercased() ?? ""
        if host.hasPrefix("graph.microsoft.") || host.hasPrefix("microsoftgraph.") || host.hasPrefix("dod-graph.microsoft.") {
            return "https://\(host)/.default"
        }
        return "https://graph.microsoft.com/.default"
    }

    /// `GET /v1.0/applications/{id}`: its password credentials.
    public func passwordCredentials(application: String) async throws(AzureError) -> [GraphPasswordCredential] {
        let operation = "GET /v1.0/applications/\(application)"
        let data = try await call(.GET, "/v1.0/applications/\(EntraTokenClient.pathEncode(application))", body: nil, operation: operation)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        guard let list = object?["passwordCredentials"] as? [[String: Any]] else {
            throw AzureError(service: .graph, operation: operation, status: 0, code: nil, detailCode: nil, message: "the answer has no passwordCredentials")
        }
        return list.compactMap { entry in
            guard let keyID = entry["keyId"] as? String else { return nil }
            return GraphPasswordCredential(keyID: keyID.lowercased(), displayName: entry["displayName"] as? String,
                                           hint: entry["hint"] as? String, endDateTime: entry["endDateTime"] as? String)
        }
    }

    /// `POST /v1.0/applications/{id}/addPassword`: a new secret, whose text Graph returns only here.
    public func addPassword(application: String, displayName: String, endDateTime: Date) async throws(AzureError) -> GraphAddedPassword {
        let operation = "POST /v1.0/applications/\(application)/addPassword"
        let body: [String: Any] = ["passwordCredential": ["displayName": displayName, "endDateTime": Timestamps.iso8601(endDateTime)]]
        let data = try await call(.POST, "/v1.0/applications/\(EntraTokenClient.pathEncode(application))/addPassword",
                                  body: try? JSONSerialization.data(withJSONObject: body), operation: operation)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        guard let keyID = object?["keyId"] as? String, let secret = object?["secretText"] as? String, !secret.isEmpty else {
            throw AzureError(service: .graph, operation: operation, status: 0, code: nil, detailCode: nil, message: "the answer has no keyId or secretText")
        }
        return GraphAddedPassword(keyID: keyID.lowercased(), secretText: SecretValue(utf8: secret), hint: object?["hint"] as? String)
    }

    /// `POST /v1.0/applications/{id}/removePassword {keyId}` (204). Cannot be undone.
    public func removePassword(application: String, keyID: String) async throws(AzureError) {
        let operation = "POST /v1.0/applications/\(application)/removePassword"
        _ = try await call(.POST, "/v1.0/applications/\(EntraTokenClient.pathEncode(application))/removePassword",
                           body: try? JSONSerialization.data(withJSONObject: ["keyId": keyID]), operation: operation)
    }

    /// Removes `keyID` unless it is gone already, and confirms with a read that it is gone (Graph's
    /// status for an unknown keyId is not something to trust alone). True when this call removed it.
    @discardableResult
    public func removePasswordIfPresent(application: String, keyID: String) async throws(AzureError) -> Bool {
        guard try await passwordCredentials(application: application).contains(where: { $0.keyID == keyID.lowercased() }) else { return false }
        do {
            try await removePassword(application: application, keyID: keyID)
        } catch let error where error.isNotFound {
            // Gone between the read and the call: the read below settles it.
        }
        guard try await !passwordCredentials(application: application).contains(where: { $0.keyID == keyID.lowercased() }) else {
            throw AzureError(service: .graph, operation: "removePassword \(keyID)", status: 0, code: nil, detailCode: nil,
                             message: "the password is still listed after removePassword")
        }
        return true
    }

    /// One Graph call with the bot's token; a 401 fetches a fresh token once.
    func call(_ method: HTTPMethod, _ path: String, body: Data?, operation: String) async throws(AzureError) -> Data {
        var refreshed = false
        while true {
            let token = try await tokens.token(scope: scope, refresh: refreshed)
            var headers = [("Authorization", "Bearer \(token.revealSecretString())"), ("Accept", "application/json")]
            if body != nil { headers.append(("Content-Type", "application/json")) }
            let response = try await http.send(method, graph.absoluteString.trimmingSuffix("/") + path, headers: headers, body: body,
                                                service: .graph, operation: operation)
            if (200..<300).contains(response.status) { return response.body }
            if response.status == 401, !refreshed {
                refreshed = true
                continue
            }
            throw AzureError(service: .graph, operation: operation, status: response.status, body: response.body, secrets: [token])
        }
    }
}
