import Foundation

/// The discovery documents kubectl reads before it touches a resource: plain JSON (not the
/// aggregated `apidiscovery.k8s.io` format; kubectl falls back to these when the server answers
/// `application/json`).
enum FakeDiscovery {
    static var version: [String: Any] {
        [
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-aegis-fake", "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
        "platform": "linux/amd64",
        ]
    }

    static func apiVersions(port: Int) -> [String: Any] {
        ["kind": "APIVersions", "versions": ["v1"],
         "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:\(port)"]]]
    }

    static var apiGroups: [String: Any] {
        [
        "kind": "APIGroupList", "apiVersion": "v1",
        "groups": [[
            "name": "apps",
            "versions": [["groupVersion": "apps/v1", "version": "v1"]],
            "preferredVersion": ["groupVersion": "apps/v1", "version": "v1"],
        ]],
        ]
    }

    static var coreResources: [String: Any] {
        [
        "kind": "APIResourceList", "groupVersion": "v1",
        "resources": [
            resource("configmaps", singular: "configmap", kind: "ConfigMap", short: ["cm"], verbs: crudVerbs),
            resource("secrets", singular: "secret", kind: "Secret", short: [], verbs: crudVerbs),
            resource("pods", singular: "pod", kind: "Pod", short: ["po"], verbs: crudVerbs),
            resource("pods/log", singular: "", kind: "Pod", short: [], verbs: ["get"]),
        ],
        ]
    }

    static var appsResources: [String: Any] {
        [
        "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "apps/v1",
        "resources": [
            resource("deployments", singular: "deployment", kind: "Deployment", short: ["deploy"], verbs: crudVerbs),
            resource("deployments/status", singular: "", kind: "Deployment", short: [], verbs: ["get", "patch", "update"]),
        ],
        ]
    }

    static let crudVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    static func resource(_ name: String, singular: String, kind: String, short: [String], verbs: [String]) -> [String: Any] {
        var entry: [String: Any] = ["name": name, "singularName": singular, "namespaced": true, "kind": kind, "verbs": verbs]
        if !short.isEmpty { entry["shortNames"] = short }
        return entry
    }
}
