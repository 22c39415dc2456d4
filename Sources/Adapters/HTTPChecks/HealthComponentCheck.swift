import AegisCore
import AsyncHTTPClient
import Foundation

/// `health`: `GET {AEGIS_API_URL}/health` and read `.components.<component>`. A component is
/// healthy when it is, or its `status` field is, one of ok / healthy / up / pass (any case).
/// Retries a few times within `settle`, since pods report healthy a moment after a rollout.
public struct HealthComponentCheck: CheckRunner {
    static let healthy: Set<String> = ["ok", "healthy", "up", "pass", "passing"]
    let endpoint: ServiceEndpoint
    let get: HTTPGet
    let attempts: Int
    let pause: Duration

    public init(endpoint: ServiceEndpoint, http: HTTPClient = .shared, timeout: Duration = .seconds(10),
                attempts: Int = 3, pause: Duration = .seconds(2)) {
        self.endpoint = endpoint
        self.get = HTTPGet(http: http, timeout: timeout)
        self.attempts = max(1, attempts)
        self.pause = pause
    }

    public func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        let component = check.parameters["component"] ?? ""
        var last = CheckResult(title: check.title, status: .failed, detail: "not run")
        for attempt in 1...attempts {
            last = await once(check, component: component)
            if last.status == .passed || attempt == attempts { return last }
            try? await Task.sleep(for: pause)
        }
        return last
    }

    func once(_ check: CheckDefinition, component: String) async -> CheckResult {
        do {
            let answer = try await get("\(endpoint.baseURL)/health", bearer: nil)
            guard let body = answer.json as? [String: Any], let components = body["components"] as? [String: Any] else {
                return CheckResult(title: check.title, status: .failed, detail: "HTTP \(answer.status), no components in the answer")
            }
            guard let value = components[component] else {
                return CheckResult(title: check.title, status: .failed,
                                   detail: "no component '\(component)' (has: \(components.keys.sorted().joined(separator: ", ")))")
            }
            let status = ((value as? [String: Any])?["status"] as? String) ?? (value as? String) ?? "\(value)"
            let ok = Self.healthy.contains(status.lowercased())
            return CheckResult(title: check.title, status: ok ? .passed : .failed, detail: "\(component): \(status) (HTTP \(answer.status))")
        } catch {
            return CheckResult(title: check.title, status: .failed, detail: RotationEngine.safeDescription(error))
        }
    }
}
