import AegisCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One GET with a timeout, answering status and JSON body, or a failure that says what happened
/// without any token.
struct HTTPGet: Sendable {
    let http: HTTPClient
    let timeout: Duration

    struct Answer {
        let status: Int
        let json: Any?
    }

    func callAsFunction(_ url: String, bearer: SecretValue?) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer.revealSecretString())") }
        request.headers.add(name: "Accept", value: "application/json")
        do {
            let response = try await http.execute(request, timeout: .milliseconds(timeout.milliseconds))
            let body = try await response.body.collect(upTo: 4 << 20)
            let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))
            return Answer(status: Int(response.status.code), json: json)
        } catch {
            throw AdapterError(system: "aegis-api", operation: "GET \(URL(string: url)?.path ?? url)",
                               message: "unreachable (\(type(of: error)))", isTransient: true)
        }
    }
}
