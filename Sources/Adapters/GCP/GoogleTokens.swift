import AegisCore
import AegisProviderHTTP
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Access tokens for Google APIs, from the configured ``GoogleCredential``, cached until a minute
/// before they expire. One refresh at a time; a token Google refuses (401) is dropped, so the next
/// call fetches a new one.
actor GoogleTokens {
    let credential: GoogleCredential
    let http: HTTPClient
    let timeout: Duration
    let clock: any WallClock
    var cached: (token: SecretValue, expires: Date)?

    init(credential: GoogleCredential, http: HTTPClient, timeout: Duration, clock: any WallClock) {
        self.credential = credential
        self.http = http
        self.timeout = timeout
        self.clock = clock
    }

    func token() async throws(GCPError) -> SecretValue {
        if case .accessToken(let token) = credential { return token }
        if let cached, cached.expires > clock.now().addingTimeInterval(60) { return cached.token }
        let fresh = try await fetch()
        cached = fresh
        return fresh.token
    }

    func invalidate() { cached = nil }

    func fetch() async throws(GCPError) -> (token: SecretValue, expires: Date) {
        let operation: String
        var request: HTTPClientRequest
        switch credential {
        case .accessToken(let token):
            return (token, .distantFuture)
        case .serviceAccount(let key):
            operation = "token for \(key.clientEmail)"
            request = HTTPClientRequest(url: key.tokenURI.absoluteString)
            request.method = .POST
            let assertion: String
            do { assertion = try key.assertion(now: clock.now()) } catch {
                throw GCPError(operation: operation, unusable: "the service-account key could not sign (\(type(of: error)))")
            }
            let form = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)"
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        case .metadata(let host):
            operation = "token from the metadata server"
            request = HTTPClientRequest(url: "http://\(host)/computeMetadata/v1/instance/service-accounts/default/token")
            request.headers.add(name: "Metadata-Flavor", value: "Google")
        }
        request.headers.add(name: "Accept", value: "application/json")
        let status: Int
        let body: Data
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(timeout.nanosecondsClamped))
            body = Data(try await response.body.collect(upTo: 1 << 20).readableBytesView)
            status = Int(response.status.code)
        } catch {
            throw GCPError(operation: operation, unreachable: error)
        }
        guard status == 200 else { throw GCPError(operation: operation, status: status, body: body) }
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
              let token = object["access_token"] as? String, !token.isEmpty else {
            throw GCPError(operation: operation, unusable: "the answer has no access_token")
        }
        let lifetime = (object["expires_in"] as? Double) ?? 3_599
        return (SecretValue(utf8: token), clock.now().addingTimeInterval(lifetime))
    }
}
