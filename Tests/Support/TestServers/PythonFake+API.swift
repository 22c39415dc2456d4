import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension PythonFake {
    /// A call to the fake's provider API itself (not its `/_fake/…` control API) with the given
    /// headers: how a test sets up what only the provider's API can make (an OpenAI service
    /// account and its first key). Returns the status and the JSON answer.
    public func api(_ method: HTTPMethod, _ path: String, headers: [String: String], _ body: [String: Any]? = nil) async throws -> (status: Int, json: Any?) {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        let data = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), try? JSONSerialization.jsonObject(with: Data(data.readableBytesView)))
    }
}

/// An OpenAI fake with a project, an admin key and a service account holding one key: the
/// starting point of an OpenAI rotation test.
public struct OpenAIFakeProject: Sendable {
    public var project: String
    public var admin: String
    public var serviceAccount: String
    /// The service account's first key (the one the store holds before a rotation).
    public var firstKey: (id: String, value: String)

    public static func make(_ fake: PythonFake) async throws -> OpenAIFakeProject {
        let project = try Self.string(try await fake.control(.POST, "/_fake/projects", ["name": "aegis"]), "id")
        let admin = try Self.string(try await fake.control(.POST, "/_fake/admin-keys", [:]), "value")
        let created = try await fake.api(.POST, "/v1/organization/projects/\(project)/service_accounts",
                                         headers: ["Authorization": "Bearer \(admin)"], ["name": "aegis-api"])
        guard created.status == 200, let object = created.json as? [String: Any], let account = object["id"] as? String,
              let key = object["api_key"] as? [String: Any], let keyID = key["id"] as? String, let value = key["value"] as? String else {
            throw ServerError("the OpenAI fake did not create a service account (HTTP \(created.status))")
        }
        return OpenAIFakeProject(project: project, admin: admin, serviceAccount: account, firstKey: (keyID, value))
    }

    /// A key a person made in the dashboard (owner type user).
    public static func userKey(_ fake: PythonFake, project: String, name: String) async throws -> (id: String, value: String) {
        let made = try await fake.control(.POST, "/_fake/user-keys", ["project_id": project, "name": name])
        return (try string(made, "id"), try string(made, "value"))
    }

    /// The fake's own view of every key: ID → deleted.
    public static func keys(_ fake: PythonFake) async throws -> [(id: String, serviceAccount: String?, deleted: Bool)] {
        guard let keys = try await fake.control(.GET, "/_fake/keys") as? [[String: Any]] else { throw ServerError("no key list") }
        return keys.compactMap { key in
            (key["id"] as? String).map { ($0, key["service_account_id"] as? String, key["deleted"] as? Bool ?? false) }
        }
    }

    static func string(_ json: Any, _ key: String) throws -> String {
        guard let object = json as? [String: Any], let text = object[key] as? String else {
            throw ServerError("the fake's answer has no \(key)")
        }
        return text
    }
}
