import Foundation

/// One answer from the fake: a status and a JSON (or text) body, or a watch to stream.
struct FakeReply: Sendable {
    var status: Int
    var body: Data
    var contentType = "application/json"
    var watch: FakeWatch?
}

/// A `watch=true` request on one deployment, streamed by the HTTP layer.
struct FakeWatch: Sendable {
    var namespace: String
    var name: String
    var timeout: Duration
}

/// One request as the fake saw it. Holds whether a bearer token came, never the token.
public struct FakeKubeRequest: Sendable, CustomStringConvertible {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var contentType: String
    public var hadBearerToken: Bool
    public init(method: String, path: String, query: [String: String], contentType: String, hadBearerToken: Bool) {
        self.method = method
        self.path = path
        self.query = query
        self.contentType = contentType
        self.hadBearerToken = hadBearerToken
    }

    public var description: String { "\(method) \(path) \(query.sorted { $0.key < $1.key })" }
}

/// The fake API server's objects and rules. Objects are Foundation JSON trees keyed by resource,
/// namespace and name; deployments advance through a rollout lazily, on every request, so there
/// is no background controller to stop.
actor KubernetesFakeState {
    struct Key: Hashable { var resource: String; var namespace: String; var name: String }

    /// A rollout in progress: when its template changed, and how far the controller got.
    struct Rollout { var startedAt: ContinuousClock.Instant; var phase = 0 }

    var objects: [Key: [String: Any]] = [:]
    var rollouts: [Key: Rollout] = [:]
    var podLogs: [Key: [String]] = [:]
    var resourceVersion = 1000
    var rolloutDuration: Duration = .milliseconds(600)
    var stallRollouts = false
    var failuresLeft = 0
    var failureStatus = 500
    var expectedToken: String?
    var requests: [FakeKubeRequest] = []
    var port = 0

    func nextResourceVersion() -> String {
        resourceVersion += 1
        return String(resourceVersion)
    }

    // MARK: Dispatch

    func handle(method: String, path: String, query: [String: String], contentType: String, body: Data, authorization: String?) -> FakeReply {
        requests.append(FakeKubeRequest(method: method, path: path, query: query, contentType: contentType,
                                        hadBearerToken: authorization?.hasPrefix("Bearer ") == true))
        if let expectedToken, authorization != "Bearer \(expectedToken)" {
            return Self.status(401, reason: "Unauthorized", message: "Unauthorized")
        }
        advanceRollouts()
        let parts = path.split(separator: "/").map(String.init)
        if method == "GET", let discovery = discovery(parts) { return FakeReply(status: 200, body: discovery.jsonData()) }
        if failuresLeft > 0 {
            failuresLeft -= 1
            return Self.status(failureStatus, reason: "InternalError", message: "injected failure")
        }
        // /api/v1/namespaces/{ns}/{resource}[/{name}[/{sub}]] or /apis/apps/v1/namespaces/{ns}/{resource}[/{name}]
        var rest: ArraySlice<String>
        if parts.starts(with: ["api", "v1", "namespaces"]) { rest = parts.dropFirst(3) }
        else if parts.starts(with: ["apis", "apps", "v1", "namespaces"]) { rest = parts.dropFirst(4) }
        else { return Self.status(404, reason: "NotFound", message: "the server could not find the requested resource") }
        guard rest.count >= 2 else { return Self.status(404, reason: "NotFound", message: "the server could not find the requested resource") }
        let namespace = rest.removeFirst()
        let resource = rest.removeFirst()
        let name = rest.first
        let sub = rest.dropFirst().first

        switch (method, resource, name, sub) {
        case ("GET", "deployments", nil, _): return listDeployments(namespace: namespace, query: query)
        case ("GET", "pods", nil, _): return listPods(namespace: namespace, query: query)
        case ("GET", "pods", let pod?, "log"): return podLog(namespace: namespace, pod: pod, query: query)
        case ("GET", "configmaps", let name?, nil), ("GET", "secrets", let name?, nil), ("GET", "deployments", let name?, nil):
            guard let object = objects[Key(resource: resource, namespace: namespace, name: name)] else { return notFound(resource, name) }
            return FakeReply(status: 200, body: object.jsonData())
        case ("PATCH", "configmaps", let name?, nil), ("PATCH", "secrets", let name?, nil), ("PATCH", "deployments", let name?, nil):
            return patch(Key(resource: resource, namespace: namespace, name: name), contentType: contentType, body: body)
        default:
            return Self.status(405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
    }

    func discovery(_ parts: [String]) -> [String: Any]? {
        switch parts {
        case ["version"]: return FakeDiscovery.version
        case ["api"]: return FakeDiscovery.apiVersions(port: port)
        case ["apis"]: return FakeDiscovery.apiGroups
        case ["api", "v1"]: return FakeDiscovery.coreResources
        case ["apis", "apps", "v1"]: return FakeDiscovery.appsResources
        default: return nil
        }
    }

    // MARK: Objects

    func patch(_ key: Key, contentType: String, body: Data) -> FakeReply {
        let type = contentType.split(separator: ";").first.map(String.init) ?? ""
        guard type == "application/merge-patch+json" || type == "application/strategic-merge-patch+json" else {
            return Self.status(415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json")
        }
        guard var object = objects[key] else { return notFound(key.resource, key.name) }
        guard let patch = try? JSONSerialization.jsonObject(with: body), patch is [String: Any] else {
            return Self.status(400, reason: "BadRequest", message: "the patch is not a JSON object")
        }
        let oldSpec = (object["spec"] as? [String: Any])?.jsonData()
        let oldTemplate = (object[path: "spec", "template"] as? [String: Any])?.jsonData()
        guard var patched = JSONMergePatch.apply(patch, to: object) as? [String: Any] else {
            return Self.status(400, reason: "BadRequest", message: "the patch did not produce an object")
        }
        // Identity fields are the server's, whatever the patch says.
        for field in ["name", "namespace", "uid", "generation", "creationTimestamp"] {
            patched.set(object[path: "metadata", field], at: ["metadata", field])
        }
        if key.resource == "deployments" {
            if (patched["spec"] as? [String: Any])?.jsonData() != oldSpec {
                patched.set(object.int("metadata", "generation") + 1, at: ["metadata", "generation"])
            }
            let templateChanged = (patched[path: "spec", "template"] as? [String: Any])?.jsonData() != oldTemplate
            if templateChanged && patched[path: "spec", "paused"] as? Bool != true {
                rollouts[key] = Rollout(startedAt: .now)
            } else if patched[path: "spec", "paused"] as? Bool != true && rollouts[key] == nil {
                patched.set(patched.int("metadata", "generation"), at: ["status", "observedGeneration"])
            }
        }
        if patched.jsonData() != object.jsonData() {
            patched.set(nextResourceVersion(), at: ["metadata", "resourceVersion"])
        }
        object = patched
        objects[key] = object
        return FakeReply(status: 200, body: object.jsonData())
    }

    func listDeployments(namespace: String, query: [String: String]) -> FakeReply {
        var name: String?
        if let selector = query["fieldSelector"] {
            guard selector.hasPrefix("metadata.name=") else {
                return Self.status(400, reason: "BadRequest", message: "only metadata.name field selectors are supported")
            }
            name = String(selector.dropFirst("metadata.name=".count))
        }
        if query["watch"] == "true" || query["watch"] == "1" {
            guard let name else { return Self.status(400, reason: "BadRequest", message: "the fake watches one named deployment") }
            let seconds = Int(query["timeoutSeconds"] ?? "") ?? 120
            return FakeReply(status: 200, body: Data(), watch: FakeWatch(namespace: namespace, name: name, timeout: .seconds(min(seconds, 120))))
        }
        let items = objects.filter { $0.key.resource == "deployments" && $0.key.namespace == namespace && (name == nil || $0.key.name == name) }
            .sorted { $0.key.name < $1.key.name }.map(\.value)
        let list: [String: Any] = ["apiVersion": "apps/v1", "kind": "DeploymentList",
                                   "metadata": ["resourceVersion": String(resourceVersion)], "items": items]
        return FakeReply(status: 200, body: list.jsonData())
    }

    func listPods(namespace: String, query: [String: String]) -> FakeReply {
        var wanted: [String: String] = [:]
        for term in (query["labelSelector"] ?? "").split(separator: ",") {
            let pair = term.split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { wanted[pair[0]] = pair[1] }
        }
        var items: [[String: Any]] = []
        for (key, deployment) in objects where key.resource == "deployments" && key.namespace == namespace {
            let labels = (deployment[path: "spec", "template", "metadata", "labels"] as? [String: String]) ?? [:]
            guard wanted.allSatisfy({ labels[$0.key] == $0.value }) else { continue }
            for name in podNames(deployment) {
                items.append(["apiVersion": "v1", "kind": "Pod",
                              "metadata": ["name": name, "namespace": namespace, "labels": labels],
                              "status": ["phase": "Running"]])
            }
        }
        let list: [String: Any] = ["apiVersion": "v1", "kind": "PodList", "metadata": ["resourceVersion": String(resourceVersion)], "items": items]
        return FakeReply(status: 200, body: list.jsonData())
    }

    func podLog(namespace: String, pod: String, query: [String: String]) -> FakeReply {
        guard let key = objects.first(where: { $0.key.resource == "deployments" && $0.key.namespace == namespace && podNames($0.value).contains(pod) })?.key else {
            return notFound("pods", pod)
        }
        let stamp = ISO8601DateFormatter().string(from: Date())
        let lines = (podLogs[key] ?? []).map { query["timestamps"] == "true" ? "\(stamp) \($0)" : $0 }
        return FakeReply(status: 200, body: Data(lines.map { $0 + "\n" }.joined().utf8), contentType: "text/plain")
    }

    /// Pod names follow the deployment's generation, as a new ReplicaSet's pods would.
    func podNames(_ deployment: [String: Any]) -> [String] {
        let name = deployment[path: "metadata", "name"] as? String ?? "pod"
        let replicas = deployment.int("spec", "replicas")
        let hash = String(format: "%08x", deployment.int("metadata", "generation") &* 2_654_435_761 & 0xffff_ffff)
        return (0..<max(replicas, 0)).map { "\(name)-\(hash)-\($0)" }
    }

    func notFound(_ resource: String, _ name: String) -> FakeReply {
        Self.status(404, reason: "NotFound", message: "\(resource) \"\(name)\" not found")
    }

    static func status(_ code: Int, reason: String, message: String) -> FakeReply {
        let body: [String: Any] = ["kind": "Status", "apiVersion": "v1", "metadata": [String: Any](), "status": "Failure",
                                   "message": message, "reason": reason, "code": code]
        return FakeReply(status: code, body: body.jsonData())
    }
}
