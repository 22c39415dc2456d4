import AegisTestServers
import Foundation
import KubernetesFake
import Testing
import Yams

/// `deploy/kubernetes/rbac.yaml` is what the bot runs with in a cluster. Every Kubernetes call
/// a real rotation makes (deploy, restart, rollout status, log scan, grace clean-up) must be
/// allowed by that Role, or the first production rotation would fail with 403.
@Suite("deploy: the Role allows every Kubernetes call a rotation makes", .productionWorld, .serialized, .timeLimit(.minutes(3)))
struct RBACCoverageTests {
    struct Rule {
        var apiGroups: Set<String>
        var resources: Set<String>
        var resourceNames: Set<String>?
        var verbs: Set<String>

        func allows(_ call: Call) -> Bool {
            apiGroups.contains(call.apiGroup) && resources.contains(call.resource) && verbs.contains(call.verb)
                && (resourceNames == nil || call.name.map { resourceNames!.contains($0) } == true)
        }
    }

    /// A request in RBAC's terms.
    struct Call: Hashable, CustomStringConvertible {
        var verb: String
        var apiGroup: String
        var resource: String
        var name: String?
        var description: String { "\(verb) \(apiGroup.isEmpty ? "core" : apiGroup)/\(resource)\(name.map { "/\($0)" } ?? "")" }

        /// `/api/v1/namespaces/aegis/pods/p-1/log` → get core pods/log p-1.
        init?(_ request: FakeKubeRequest) {
            let parts = request.path.split(separator: "/").map(String.init)
            let rest: ArraySlice<String>
            if parts.first == "api", parts.count >= 4, parts[2] == "namespaces" {
                apiGroup = ""
                rest = parts[4...]
            } else if parts.first == "apis", parts.count >= 5, parts[3] == "namespaces" {
                apiGroup = parts[1]
                rest = parts[5...]
            } else {
                return nil
            }
            guard let resource = rest.first else { return nil }
            let items = Array(rest)
            name = items.count > 1 ? items[1] : nil
            self.resource = items.count > 2 ? "\(resource)/\(items[2])" : resource
            switch request.method {
            case "GET": verb = name == nil ? (request.query["watch"] == "true" ? "watch" : "list") : "get"
            case "PATCH": verb = "patch"
            case "PUT": verb = "update"
            case "POST": verb = "create"
            case "DELETE": verb = "delete"
            default: verb = request.method.lowercased()
            }
        }
    }

    static func roleRules() throws -> [Rule] {
        let text = try String(contentsOf: Repository.root.appendingPathComponent("deploy/kubernetes/rbac.yaml"), encoding: .utf8)
        let documents = try Yams.load_all(yaml: text).compactMap { $0 as? [String: Any] }
        let role = try #require(documents.first { $0["kind"] as? String == "Role" })
        let rules = try #require(role["rules"] as? [[String: Any]])
        return rules.map { rule in
            Rule(apiGroups: Set(rule["apiGroups"] as? [String] ?? []), resources: Set(rule["resources"] as? [String] ?? []),
                 resourceNames: (rule["resourceNames"] as? [String]).map(Set.init), verbs: Set(rule["verbs"] as? [String] ?? []))
        }
    }

    @Test("a leak-response JWT rotation (deploy, restart, rollout status, log scan, immediate clean-up)")
    func jwtLeakRotation() async throws {
        let rules = try Self.roleRules()
        try await Scenario.with { scenario in
            try await scenario.requestAsOperator("/rotate jwt --leaked rbac test")
            let driver = try scenario.shell()
            for line in ["approve R-1", "/wait", "/quit"] { driver.send(line) }
            #expect(try await driver.waitForExit(timeout: .seconds(120)) == 0)
            #expect(driver.stdout.contains("🎉 R-1 completed"), "\(driver.stdout)")
            let calls = Set(await scenario.kube.requests.compactMap(Call.init))
            let kinds = Set(calls.map(\.verb))
            #expect(kinds.isSuperset(of: ["get", "patch", "list"]), "the rotation exercised reads, patches and lists: \(calls)")
            #expect(calls.contains { $0.resource == "pods/log" }, "the log scan ran")
            let denied = calls.filter { call in !rules.contains { $0.allows(call) } }
            #expect(denied.isEmpty, "rbac.yaml does not allow: \(denied.map(\.description).sorted())")
        }
    }

    @Test("the check can fail: a call outside the Role is reported")
    func negativeControl() async throws {
        let rules = try Self.roleRules()
        let secretRead = FakeKubeRequest(method: "GET", path: "/api/v1/namespaces/aegis/secrets/aegis-config", query: [:],
                                         contentType: "", hadBearerToken: true)
        let call = try #require(Call(secretRead))
        #expect(!rules.contains { $0.allows(call) }, "reading a Secret is not granted")
        let otherConfig = try #require(Call(FakeKubeRequest(method: "PATCH", path: "/api/v1/namespaces/aegis/configmaps/other",
                                                             query: [:], contentType: "", hadBearerToken: true)))
        #expect(!rules.contains { $0.allows(otherConfig) }, "only aegis-config may be patched")
    }
}
