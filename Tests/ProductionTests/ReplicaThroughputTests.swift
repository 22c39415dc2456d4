import AegisCore
import AegisSlackTestSupport
import AegisStatePostgres
import AegisTestServers
import Foundation
import SlackFake
import Testing

/// Twenty rotations requested and approved at once through Slack, on one replica and then on
/// three, all on one PostgreSQL state database (the local sandbox holds the twenty generated
/// secrets, each with its own store entry and configmap, so runs on different replicas never
/// touch the same file). Every rotation must complete with each step done once; the rate is
/// printed (rotations per minute, from the first approval to the last completion in the store).
@Suite("several replicas: twenty rotations queued", .productionWorld, .serialized, .timeLimit(.minutes(10)))
struct ReplicaThroughputTests {
    static let count = 20

    @Test("twenty queued rotations complete once each, on one replica and on three", arguments: [1, 3])
    func twentyRotations(replicas: Int) async throws {
        try await Scenario.with { scenario in
            let commands = scenario.workspace.folder.appendingPathComponent("generated-commands")
            try FileManager.default.createDirectory(at: commands, withIntermediateDirectories: true)
            try GeneratedCommands.write(try GeneratedCommands.jwtCopies(1...Self.count, id: { "load-key-\($0)" }, aliases: { ["lk\($0)"] }),
                                        to: commands)
            let local = ["AEGIS_ENV": "local", "AEGIS_COMMANDS_DIR": commands.path,
                         "AEGIS_LOCAL_DIR": scenario.workspace.folder.appendingPathComponent("local").path]
            let names = ["replica-a", "replica-b", "replica-c"].prefix(replicas)
            // replica-a alone first: it seeds the sandbox's initial versions; the others find them there.
            try await ReplicaCluster.with(scenario, replicas: ["replica-a"], extra: local) { cluster in
                for name in names.dropFirst() { try cluster.startReplica(name, extra: local) }
                try await cluster.waitForSockets(replicas)
                let rate = try await runTwenty(cluster, environment: local)
                print("twenty queued rotations on \(replicas) replica(s), lease TTL \(ReplicaCluster.leaseTTL): \(String(format: "%.1f", rate)) rotations per minute")
                let owners = try await cluster.store.auditRecords().compactMap(\.entry).filter { $0.action.rawValue == "step.done" }
                    .map { ReplicaOwner(rawValue: $0.details["replica"] ?? "").replica }
                #expect(Set(owners).isSubset(of: Set(names)), "\(Set(owners))")
            }
        }
    }

    /// Requests and approves the twenty, waits until all completed; returns rotations per minute.
    func runTwenty(_ cluster: ReplicaCluster, environment: [String: String]) async throws -> Double {
        for n in 1...Self.count {
            try await cluster.fake.slashCommand(user: People.alice, channel: People.ops, text: "lk\(n) load test")
        }
        var requests: [FakeMessage] = []
        for n in 1...Self.count { requests.append(try await cluster.requestMessage("R-\(n)")) }
        let started = ContinuousClock.now
        for (index, request) in requests.enumerated() {
            try await cluster.fake.click(user: People.carol, channel: People.ops, message: request, actionID: "approve", value: "R-\(index + 1)")
        }
        let ids = (1...Self.count).map { RotationID(number: $0) }
        _ = try await waitUntilValue("all \(Self.count) rotations to end", timeout: .seconds(240)) { () -> Bool? in
            let records = try await cluster.store.latestRotations(limit: Self.count * 2)
            return records.count >= Self.count && records.allSatisfy { !$0.status.isOpen } ? true : nil
        }
        let elapsed = ContinuousClock.now - started
        let records = try await cluster.store.latestRotations(limit: Self.count * 2)
        #expect(records.filter { $0.status == .completed }.count == Self.count,
                "not all completed: \(records.map { "\($0.id) \($0.status.rawValue) \($0.failure ?? "")" })")
        let done = try await cluster.store.auditRecords().compactMap(\.entry).filter { $0.action.rawValue == "step.done" }
        for id in ids {
            let steps = done.filter { $0.rotationID == id }.compactMap { $0.details["step"] }
            #expect(steps == CrashStrategy.jwtSingleRollout.steps, "\(id) steps done: \(steps)")
        }
        let audit = try await cluster.scenario.workspace.run(["audit", "verify"], environment: cluster.environment(replica: "cli", extra: environment))
        #expect(audit.status == 0, "audit verify: \(audit.stdout)\(audit.stderr)")
        return Double(Self.count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * 60
    }
}
