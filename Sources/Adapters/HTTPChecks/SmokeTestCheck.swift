import AegisCore
import AsyncHTTPClient
import Foundation

/// `smoke`: `GET {AEGIS_API_URL}/api/v1/findings` (or the check's `path`) with the bearer token
/// `AEGIS_API_TOKEN`; passes on HTTP 200 with a JSON `total`. An authenticated read proves the
/// service works with its new credential end to end.
public struct SmokeTestCheck: CheckRunner {
    let endpoint: ServiceEndpoint
    let get: HTTPGet

    public init(endpoint: ServiceEndpoint, http: HTTPClient = .shared, timeout: Duration = .seconds(10)) {
        self.endpoint = endpoint
        self.get = HTTPGet(http: http, timeout: timeout)
    }

    public func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        let path = check.parameters["path"] ?? "/api/v1/findings"
        guard endpoint.token != nil else {
            return CheckResult(title: check.title, status: .failed, detail: "AEGIS_API_TOKEN is not set; the smoke test needs it")
        }
        do {
            let answer = try await get(endpoint.baseURL + path, bearer: endpoint.token)
            guard answer.status == 200 else {
                return CheckResult(title: check.title, status: .failed, detail: "HTTP \(answer.status)")
            }
            guard let total = (answer.json as? [String: Any])?["total"] else {
                return CheckResult(title: check.title, status: .failed, detail: "HTTP 200 but no `total` in the answer")
            }
            return CheckResult(title: check.title, status: .passed, detail: "HTTP 200, total = \(total)")
        } catch {
            return CheckResult(title: check.title, status: .failed, detail: RotationEngine.safeDescription(error))
        }
    }
}
