import AegisTestServers
import Foundation
import Testing
import Yams

/// `kubectl apply -k deploy/kubernetes` is how the bot is installed. These tests render that
/// kustomization with the real kubectl, as the apply would, and check what several replicas on the
/// PostgreSQL state store need: two replicas rolled one at a time with none missing, the state URL
/// read from the mounted Secret (never SQLite, no PersistentVolumeClaim), each replica's lease
/// owner its pod name, a PodDisruptionBudget that selects the Deployment's pods, replicas kept
/// apart by node without blocking a rollout, and every object in namespace `aegis`.
@Suite("deploy: the kustomization renders several bot replicas on PostgreSQL", .timeLimit(.minutes(2)))
struct KustomizeRenderTests {
    typealias Object = [String: Any]

    /// The objects `kubectl kustomize deploy/kubernetes` prints, in order. Fails (never skips) when
    /// kubectl is missing.
    static func render() async throws -> [Object] {
        let kubectl = try #require(executable("kubectl", extraFolders: ["/usr/local/bin", "/usr/bin"]),
                                   "kubectl is needed to render deploy/kubernetes (kubectl kustomize); install kubectl (v1.32) and rerun")
        // Its own HOME, so nothing under ~/.kube is read or written.
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-kustomize-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let folder = Repository.root.appendingPathComponent("deploy/kubernetes").path
        let process = try TestProcess(kubectl, ["kustomize", folder],
                                      environment: ["HOME": home.path, "PATH": "/usr/local/bin:/usr/bin:/bin"])
        let status = try await process.waitForExit(timeout: .seconds(60))
        try #require(status == 0, "kubectl kustomize \(folder) failed (status \(status)):\n\(process.outputTail)")
        var documents = try Yams.load_all(yaml: process.stdout)
        var objects: [Object] = []
        while let document = documents.next() {
            objects.append(try #require(document as? Object, "a rendered document is not a mapping: \(document)"))
        }
        if let error = documents.error { throw ServerError("the output of kubectl kustomize is not valid YAML: \(error)") }
        try #require(!objects.isEmpty, "kubectl kustomize printed no objects:\n\(process.outputTail)")
        return objects
    }

    /// `object[keys[0]][keys[1]]…`; nil when a key is missing or a step is not a mapping.
    static func dig(_ object: Any?, _ keys: String...) -> Any? {
        keys.reduce(object) { partial, key in (partial as? Object)?[key] }
    }

    static func name(_ object: Object) -> String {
        "\(object["kind"] as? String ?? "?")/\(dig(object, "metadata", "name") as? String ?? "?")"
    }

    /// The one object of `kind`; fails naming how many there are otherwise.
    static func only(_ kind: String, in objects: [Object]) throws -> Object {
        let matches = objects.filter { $0["kind"] as? String == kind }
        try #require(matches.count == 1, "expected one \(kind) in the render, found \(matches.count): \(objects.map(name))")
        return matches[0]
    }

    /// Whether a `matchLabels` selector (non-empty, no `matchExpressions`) picks pods with `labels`.
    static func selects(_ selector: Any?, _ labels: [String: String]) -> Bool {
        guard let selector = selector as? Object, selector["matchExpressions"] == nil,
              let matchLabels = selector["matchLabels"] as? [String: String], !matchLabels.isEmpty else { return false }
        return matchLabels.allSatisfy { labels[$0.key] == $0.value }
    }

    /// The rendered Deployment's parts the tests look at.
    struct Bot {
        var deployment: Object
        var podSpec: Object
        var podLabels: [String: String]
        var container: Object
        var env: [Object]

        init(_ objects: [Object]) throws {
            let deployment = try KustomizeRenderTests.only("Deployment", in: objects)
            #expect(KustomizeRenderTests.dig(deployment, "metadata", "name") as? String == "aegis-rotate",
                    "the Deployment is \(KustomizeRenderTests.name(deployment)), not Deployment/aegis-rotate")
            let podSpec = try #require(KustomizeRenderTests.dig(deployment, "spec", "template", "spec") as? Object,
                                       "the Deployment has no pod template spec")
            let podLabels = try #require(KustomizeRenderTests.dig(deployment, "spec", "template", "metadata", "labels") as? [String: String],
                                         "the Deployment's pod template has no labels")
            let containers = try #require(podSpec["containers"] as? [Object], "the Deployment's pod has no containers")
            let container = try #require(containers.first { $0["name"] as? String == "bot" },
                                         "the Deployment's pod has no container named bot: \(containers.map { $0["name"] ?? "?" })")
            let env = try #require(container["env"] as? [Object], "the bot container has no env")
            self.deployment = deployment
            self.podSpec = podSpec
            self.podLabels = podLabels
            self.container = container
            self.env = env
        }

        func variable(_ name: String) -> Object? { env.first { $0["name"] as? String == name } }
    }

    @Test("two replicas, a rolling update that never has fewer than two ready (maxUnavailable 0, maxSurge 1)")
    func replicasAndStrategy() async throws {
        let bot = try Bot(try await Self.render())
        let replicas = Self.dig(bot.deployment, "spec", "replicas")
        #expect(replicas as? Int == 2, "the Deployment has replicas \(replicas ?? "unset"), expected 2")
        let strategy = Self.dig(bot.deployment, "spec", "strategy") as? Object ?? [:]
        #expect(strategy["type"] as? String == "RollingUpdate", "the Deployment's strategy is \(strategy["type"] ?? "unset"), expected RollingUpdate")
        let maxUnavailable = Self.dig(strategy, "rollingUpdate", "maxUnavailable")
        #expect(maxUnavailable as? Int == 0,
                "rollingUpdate.maxUnavailable is \(maxUnavailable ?? "unset (25%)"), expected 0: a rollout must not stop a replica before its successor is ready")
        let maxSurge = Self.dig(strategy, "rollingUpdate", "maxSurge")
        #expect(maxSurge as? Int == 1, "rollingUpdate.maxSurge is \(maxSurge ?? "unset (25%)"), expected 1")
        #expect(Self.selects(Self.dig(bot.deployment, "spec", "selector"), bot.podLabels),
                "the Deployment's selector \(Self.dig(bot.deployment, "spec", "selector") ?? "unset") does not match its pod labels \(bot.podLabels)")
    }

    @Test("the state URL is read from the mounted Secret's state-url key; no SQLite, no PersistentVolumeClaim")
    func stateFromTheSecret() async throws {
        let objects = try await Self.render()
        let bot = try Bot(objects)
        let claims = objects.filter { $0["kind"] as? String == "PersistentVolumeClaim" }
        #expect(claims.isEmpty, "the render still has \(claims.map(Self.name)): replicas on PostgreSQL keep no state on a volume")

        // The plain variable, when set, wins over the _FILE variant (AegisConfiguration), so it must not be there.
        let direct = bot.variable("AEGIS_STATE_URL")
        #expect(!bot.env.contains { $0["name"] as? String == "AEGIS_STATE_URL" },
                "the bot container sets AEGIS_STATE_URL (\(direct?["value"] ?? direct?["valueFrom"] ?? "?")), which would override AEGIS_STATE_URL_FILE")
        let sqlite = bot.env.filter { ($0["value"] as? String)?.contains("sqlite") == true }
        #expect(sqlite.isEmpty, "env values still name SQLite: \(sqlite.map { "\($0["name"] ?? "?")=\($0["value"] ?? "")" })")

        let file = try #require(bot.variable("AEGIS_STATE_URL_FILE")?["value"] as? String,
                                "the bot container has no AEGIS_STATE_URL_FILE with a value")
        let mounts = bot.container["volumeMounts"] as? [Object] ?? []
        let mount = try #require(mounts.first { ($0["mountPath"] as? String).map { file.hasPrefix($0 + "/") } == true },
                                 "AEGIS_STATE_URL_FILE \(file) is under none of the bot's mounts \(mounts.map { $0["mountPath"] ?? "?" })")
        let mountPath = mount["mountPath"] as? String ?? ""
        #expect(mount["readOnly"] as? Bool == true, "the mount at \(mountPath) holding the state URL is not readOnly")
        let volumes = bot.podSpec["volumes"] as? [Object] ?? []
        let volume = try #require(volumes.first { $0["name"] as? String == mount["name"] as? String },
                                  "the pod has no volume \(mount["name"] ?? "?") for the mount at \(mountPath)")
        let secret = try #require(volume["secret"] as? Object,
                                  "volume \(volume["name"] ?? "?") at \(mountPath) is not a Secret: \(volume)")
        #expect(secret["secretName"] as? String == "aegis-rotate",
                "the state URL's volume mounts Secret \(secret["secretName"] ?? "?"), expected aegis-rotate")
        let relative = String(file.dropFirst(mountPath.count + 1))
        if let items = secret["items"] as? [Object] {
            let item = items.first { $0["path"] as? String == relative }
            #expect(item?["key"] as? String == "state-url",
                    "the Secret volume's items \(items) do not project key state-url to \(relative), the file AEGIS_STATE_URL_FILE reads")
        } else {
            #expect(relative == "state-url",
                    "the whole Secret is mounted at \(mountPath), so its files are its keys; AEGIS_STATE_URL_FILE reads \(relative), not key state-url")
        }
        let claimVolumes = volumes.filter { $0["persistentVolumeClaim"] != nil }
        #expect(claimVolumes.isEmpty, "the pod still mounts persistent volume claims: \(claimVolumes.map { $0["name"] ?? "?" })")
    }

    @Test("each replica's lease owner is its pod name (AEGIS_REPLICA_ID from metadata.name), leases of 30 s")
    func leaseOwner() async throws {
        let bot = try Bot(try await Self.render())
        let replica = try #require(bot.variable("AEGIS_REPLICA_ID"), "the bot container has no AEGIS_REPLICA_ID")
        let fieldPath = Self.dig(replica, "valueFrom", "fieldRef", "fieldPath")
        let source: String
        if let fixed = replica["value"] {
            source = "the fixed value \(fixed)"
        } else {
            source = "from \(replica["valueFrom"] ?? "nothing")"
        }
        #expect(fieldPath as? String == "metadata.name",
                "AEGIS_REPLICA_ID is \(source), expected valueFrom.fieldRef.fieldPath metadata.name")
        let ttl = bot.variable("AEGIS_LEASE_TTL")?["value"]
        #expect(ttl as? String == "30s", "AEGIS_LEASE_TTL is \(ttl ?? "unset"), expected 30s")
    }

    @Test("a PodDisruptionBudget keeps one replica: minAvailable 1, selecting the Deployment's pods")
    func disruptionBudget() async throws {
        let objects = try await Self.render()
        let bot = try Bot(objects)
        let budget = try Self.only("PodDisruptionBudget", in: objects)
        #expect(budget["apiVersion"] as? String == "policy/v1", "the PodDisruptionBudget is \(budget["apiVersion"] ?? "?"), expected policy/v1")
        let minAvailable = Self.dig(budget, "spec", "minAvailable")
        #expect(minAvailable as? Int == 1, "the PodDisruptionBudget has minAvailable \(minAvailable ?? "unset"), expected 1")
        let selector = Self.dig(budget, "spec", "selector")
        #expect(Self.selects(selector, bot.podLabels),
                "the PodDisruptionBudget's selector \(selector ?? "unset") does not match the Deployment's pod labels \(bot.podLabels)")
    }

    @Test("replicas kept apart: preferred anti-affinity by node (never required), spread over zones")
    func spread() async throws {
        let bot = try Bot(try await Self.render())
        let antiAffinity = Self.dig(bot.podSpec, "affinity", "podAntiAffinity") as? Object ?? [:]
        let preferred = antiAffinity["preferredDuringSchedulingIgnoredDuringExecution"] as? [Object] ?? []
        let byNode = preferred.first { Self.dig($0, "podAffinityTerm", "topologyKey") as? String == "kubernetes.io/hostname" }
        let term = try #require(byNode, "no preferred podAntiAffinity term on kubernetes.io/hostname: \(antiAffinity)")
        #expect(term["weight"] as? Int == 100, "the hostname anti-affinity has weight \(term["weight"] ?? "unset"), expected 100")
        let selector = Self.dig(term, "podAffinityTerm", "labelSelector")
        #expect(Self.selects(selector, bot.podLabels),
                "the hostname anti-affinity's selector \(selector ?? "unset") does not match the bot's pod labels \(bot.podLabels)")
        let required = antiAffinity["requiredDuringSchedulingIgnoredDuringExecution"] != nil
        #expect(!required,
                "required podAntiAffinity is set: on a 2-node cluster the surge pod of a rollout could not be scheduled")

        let constraints = bot.podSpec["topologySpreadConstraints"] as? [Object] ?? []
        let byZone = constraints.first { $0["topologyKey"] as? String == "topology.kubernetes.io/zone" }
        let zone = try #require(byZone, "no topologySpreadConstraints entry on topology.kubernetes.io/zone: \(constraints)")
        #expect(zone["whenUnsatisfiable"] as? String == "ScheduleAnyway",
                "the zone spread is \(zone["whenUnsatisfiable"] ?? "unset (DoNotSchedule)"), expected ScheduleAnyway")
        #expect(Self.selects(zone["labelSelector"], bot.podLabels),
                "the zone spread's selector \(zone["labelSelector"] ?? "unset") does not match the bot's pod labels \(bot.podLabels)")
    }

    @Test("every rendered object is in namespace aegis")
    func namespace() async throws {
        let objects = try await Self.render()
        let elsewhere = objects.filter { Self.dig($0, "metadata", "namespace") as? String != "aegis" }
        #expect(elsewhere.isEmpty,
                "not in namespace aegis: \(elsewhere.map { "\(Self.name($0)) (\(Self.dig($0, "metadata", "namespace") ?? "no namespace"))" })")
        let kinds = Set(objects.compactMap { $0["kind"] as? String })
        #expect(kinds.isSuperset(of: ["ServiceAccount", "Role", "RoleBinding", "Deployment", "PodDisruptionBudget"]),
                "the render is missing kinds; it has \(kinds.sorted())")
    }
}
