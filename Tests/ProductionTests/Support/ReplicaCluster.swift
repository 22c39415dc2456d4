import AegisCore
import AegisPostgres
import AegisSlackTestSupport
import AegisStatePostgres
import AegisTestServers
import Foundation
import Logging
import SlackFake
import Synchronization

/// Several real `aegis-rotate bot` processes (replicas) on one PostgreSQL state database and one
/// Slack fake, in a production scenario: each replica has its own Socket Mode connection, its own
/// log, and its own name (`AEGIS_REPLICA_ID`); leases last ``leaseTTL``.
final class ReplicaCluster: Sendable {
    static let leaseTTL: Duration = .seconds(3)

    let scenario: Scenario
    let fake: SlackFake
    /// The state database's URL as the replicas get it (possibly through a ``PartitionProxy``).
    let stateURL: PostgresURL
    /// The same database, read directly by the test.
    let store: PostgresStateStore
    let processes = Mutex<[String: TestProcess]>([:])

    private init(scenario: Scenario, fake: SlackFake, stateURL: PostgresURL, store: PostgresStateStore) {
        self.scenario = scenario
        self.fake = fake
        self.stateURL = stateURL
        self.store = store
    }

    /// A fresh state database and Slack workspace; starts `replicas` bots (named `replica-a`, …)
    /// with `extra` settings and waits until each has its socket open.
    static func start(_ scenario: Scenario, replicas names: [String] = ["replica-a", "replica-b"],
                      extra: [String: String] = [:]) async throws -> ReplicaCluster {
        let postgres = scenario.world.postgres
        let database = "state_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
        try await postgres.admin("CREATE DATABASE \(database)")
        var url = postgres.adminURL
        url.database = database
        let logger = Logger(label: "replica-cluster") { _ in SwiftLogNoOpLogHandler() }
        let store = try PostgresStateStore(url: url, auditKey: try AuditKey(material: SecretValue(utf8: Scenario.auditKey)), logger: logger)
        let fake = try await SlackHarness.startWorkspace(redeliverAfter: .seconds(30))
        let cluster = ReplicaCluster(scenario: scenario, fake: fake, stateURL: url, store: store)
        do {
            for name in names { try cluster.startReplica(name, extra: extra) }
            try await cluster.waitForSockets(names.count)
        } catch {
            await cluster.stop()
            throw error
        }
        return cluster
    }

    /// The PostgreSQL URL text for `AEGIS_STATE_URL`, on `port` (the server's, or a proxy's).
    func stateURLText(port: Int? = nil) -> String {
        let password = scenario.world.postgres.adminPassword.revealSecretString()
        return "postgres://postgres:\(password)@127.0.0.1:\(port ?? stateURL.port)/\(stateURL.database ?? "")?sslmode=disable"
    }

    func environment(replica name: String, extra: [String: String] = [:]) -> [String: String] {
        var environment = scenario.environment([
            "SLACK_APP_TOKEN": "xapp-1-A0AEGIS-test", "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": fake.apiURL,
            "AEGIS_STATE_URL": stateURLText(), "AEGIS_LEASE_TTL": DurationText.format(Self.leaseTTL), "AEGIS_REPLICA_ID": name,
            "AEGIS_SOCKET_CONNECTIONS": "1", "AEGIS_OPS_ADDRESS": "127.0.0.1:0", "AEGIS_SLACK_PACE": "100ms",
            "AEGIS_LOG_FILE": logFile(name).path,
        ])
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    func logFile(_ name: String) -> URL { scenario.workspace.folder.appendingPathComponent(".aegis-rotate/\(name).log") }

    @discardableResult
    func startReplica(_ name: String, extra: [String: String] = [:]) throws -> TestProcess {
        let process = try scenario.workspace.start(["bot"], environment: environment(replica: name, extra: extra))
        processes.withLock { $0[name] = process }
        return process
    }

    func process(_ name: String) -> TestProcess? { processes.withLock { $0[name] } }

    func waitForSockets(_ count: Int) async throws {
        try await fake.waitUntil(timeout: .seconds(60), "\(count) replicas' Socket Mode connections") { await $0.openSockets == count }
    }

    /// The replica (by name) that holds the lease on `rotationID` now, if any.
    func leaseHolder(_ rotationID: RotationID) async throws -> String? {
        try await store.liveLeases().first { $0.name == .rotation(rotationID) }?.owner.replica
    }

    /// Every replica's output and log, for failure messages and leak scans.
    var outputs: [String] {
        let processes = self.processes.withLock { $0 }
        return processes.sorted { $0.key < $1.key }.flatMap { name, process in
            [process.stdout, process.stderr, (try? String(contentsOf: logFile(name), encoding: .utf8)) ?? ""]
        }
    }

    /// SIGTERM to every replica still running (SIGKILL after 10 s), the fake stopped, the
    /// database dropped.
    func stop() async {
        let processes = self.processes.withLock { $0 }
        await withTaskGroup(of: Void.self) { group in
            for process in processes.values { group.addTask { await process.stop() } }
        }
        await store.close()
        await fake.stop()
        if let database = stateURL.database { try? await scenario.world.postgres.admin("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
    }

    /// Runs `body` with a started cluster and stops it afterwards, whether `body` passed or threw.
    static func with<T>(_ scenario: Scenario, replicas: [String] = ["replica-a", "replica-b"], extra: [String: String] = [:],
                        _ body: (ReplicaCluster) async throws -> T) async throws -> T {
        let cluster = try await start(scenario, replicas: replicas, extra: extra)
        do {
            let result = try await body(cluster)
            await cluster.stop()
            return result
        } catch {
            await cluster.stop()
            throw error
        }
    }

    // MARK: - What the replicas did

    /// `step.done` audit records by step name, each with the replica that ran it.
    func stepsDone(_ rotationID: RotationID = "R-1") async throws -> [(step: String, replica: String)] {
        let done = try await store.auditRecords().compactMap(\.entry).filter { $0.action == .stepDone && $0.rotationID == rotationID }
        return done.map { entry -> (step: String, replica: String) in
            (entry.details["step"] ?? "", ReplicaOwner(rawValue: entry.details["replica"] ?? "").replica)
        }
    }

    /// Waits for the rotation's final line in its thread; returns the thread's text.
    func waitForEnd(of request: FakeMessage, _ id: String = "R-1", timeout: Duration = .seconds(90)) async throws -> String {
        let ends = ["🎉 \(id) completed", "↺ \(id) rolled back", "‼️ \(id) FAILED"]
        do {
            try await fake.waitUntil(timeout: timeout, "the final line of \(id)") { fake in
                await fake.messages.contains { message in message.threadTS == request.ts && ends.contains { message.allText.contains($0) } }
            }
        } catch {
            throw ServerError("\(error)\nreplicas:\n\(outputs.map { String($0.suffix(3_000)) }.joined(separator: "\n---\n"))")
        }
        return await fake.messages.filter { $0.channel == request.channel && $0.threadTS == request.ts }.map(\.allText).joined(separator: "\n")
    }

    /// The request message of `id` in #ops.
    func requestMessage(_ id: String = "R-1") async throws -> FakeMessage {
        try await fake.waitForMessage("request message \(id)") { $0.channel == People.ops && $0.threadTS == nil && $0.text.contains("Rotation \(id) ") }
    }
}
