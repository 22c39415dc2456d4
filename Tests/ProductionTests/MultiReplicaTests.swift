import AegisCore
import AegisSlackTestSupport
import AegisStatePostgres
import AegisTestServers
import Foundation
import KubernetesFake
import SlackFake
import Synchronization
import Testing

/// Two real `aegis-rotate bot` processes on one PostgreSQL state database and one Slack fake
/// (AEGIS_ENV=production against moto, the Kubernetes API fake and the real PostgreSQL): a
/// rotation runs once, whichever replica Slack hands the envelopes to; when the replica driving
/// it is SIGKILLed after any step, the other takes it over within the lease time and finishes it;
/// an envelope delivered to both replicas decides once; a replica cut off from the database stops
/// before its lease ends and the other takes over.
@Suite("several replicas on PostgreSQL", .productionWorld, .serialized, .timeLimit(.minutes(25)))
struct MultiReplicaTests {
    static let replicas = ["replica-a", "replica-b"]

    @Test("a rotation requested and approved through Slack runs once: one owner per step, one restart, one thread")
    func rotationRunsOnce() async throws {
        try await Scenario.with { scenario in
            try await ReplicaCluster.with(scenario) { cluster in
                try await cluster.fake.slashCommand(user: People.alice, channel: People.ops, text: "jwt two replicas")
                let request = try await cluster.requestMessage()
                try await cluster.fake.click(user: People.carol, channel: People.ops, message: request, actionID: "approve", value: "R-1")
                let thread = try await cluster.waitForEnd(of: request)
                #expect(thread.contains("🎉 R-1 completed"), "\(thread)")
                try await expectRanOnce(cluster, secret: "jwt-signing-key", request: request)
                // Both replicas started together on an empty database, and each migrates before its
                // Slack connection opens: exactly one of them applied the schema.
                let migrated = Self.replicas.filter { name in
                    ((try? String(contentsOf: cluster.logFile(name), encoding: .utf8)) ?? "").contains("applied a state store migration")
                }
                #expect(migrated.count == 1, "replicas that applied the schema: \(migrated)")
            }
        }
    }

    @Test("the same slash command and the same click delivered to both replicas make one rotation, approved once")
    func duplicateDeliveriesDecideOnce() async throws {
        try await Scenario.with { scenario in
            try await ReplicaCluster.with(scenario) { cluster in
                try await cluster.fake.slashCommand(user: People.alice, channel: People.ops, text: "jwt delivered twice", toEverySocket: true)
                let request = try await cluster.requestMessage()
                _ = try await waitUntilValue("the second replica to refuse the second delivery", timeout: .seconds(30)) { () -> Bool? in
                    let refusals = try await cluster.store.auditRecords().compactMap(\.entry).filter { $0.action.rawValue == "request.refused" }
                    return refusals.isEmpty ? nil : true
                }
                try await cluster.fake.click(user: People.carol, channel: People.ops, message: request, actionID: "approve", value: "R-1",
                                             toEverySocket: true)
                let thread = try await cluster.waitForEnd(of: request)
                #expect(thread.contains("🎉 R-1 completed"), "\(thread)")
                let rotations = try await cluster.store.latestRotations(limit: 10).map(\.id)
                #expect(rotations == ["R-1"], "a delivery to two replicas made more than one rotation: \(rotations)")
                let audit = try await cluster.store.auditRecords().compactMap(\.entry)
                #expect(audit.filter { $0.action.rawValue == "rotation.requested" }.count == 1)
                #expect(audit.filter { $0.action.rawValue == "rotation.approved" }.count == 1, "approved more than once")
                #expect(audit.filter { $0.action.rawValue == "request.refused" && $0.details["reason"] == "already open" }.count == 1,
                        "the second delivery of the request must be refused as already open")
                #expect(audit.filter { $0.action.rawValue == "approve.refused" }.count == 1, "the second delivery of the click must be refused")
                try await expectRanOnce(cluster, secret: "jwt-signing-key", request: request)
            }
        }
    }

    @Test("timers fire once across replicas: an approval expiry, a grace clean-up, one overdue reminder armed")
    func timersFireOnce() async throws {
        try await Scenario.with { scenario in
            try await ReplicaCluster.with(scenario, extra: ["AEGIS_APPROVAL_TTL": "8s", "AEGIS_JWT_GRACE": "3s"]) { cluster in
                try await cluster.fake.slashCommand(user: People.alice, channel: People.ops, text: "redis left unanswered")
                _ = try await cluster.requestMessage("R-1")
                try await cluster.fake.slashCommand(user: People.alice, channel: People.ops, text: "jwt grace on two replicas")
                let request = try await cluster.requestMessage("R-2")
                try await cluster.fake.click(user: People.carol, channel: People.ops, message: request, actionID: "approve", value: "R-2")
                let thread = try await cluster.waitForEnd(of: request, "R-2")
                #expect(thread.contains("🎉 R-2 completed"), "\(thread)")
                _ = try await waitUntilValue("R-1's expiry and R-2's grace clean-up", timeout: .seconds(40)) { () -> Bool? in
                    let actions = try await cluster.store.auditRecords().compactMap(\.entry).map(\.action)
                    return actions.contains(.expired) && actions.contains(.graceCleanup) ? true : nil
                }
                // Both replicas poll timers every 100 ms; give a second firing time to show up.
                try await Task.sleep(for: .seconds(1))
                let audit = try await cluster.store.auditRecords().compactMap(\.entry)
                #expect(audit.filter { $0.action == .expired && $0.rotationID == "R-1" }.count == 1, "expiry fired more than once")
                #expect(audit.filter { $0.action == .graceCleanupStarted && $0.rotationID == "R-2" }.count == 1, "grace clean-up started more than once")
                #expect(audit.filter { $0.action == .graceCleanup && $0.rotationID == "R-2" }.count == 1, "grace clean-up finished more than once")
                let reminders = try await cluster.store.pendingTimers(kind: .dueCheck)
                #expect(reminders.count == 1, "overdue reminders armed by two replicas starting together: \(reminders.map(\.id))")
                let config = await scenario.configMap()
                #expect(config["jwt.previous_signing_key"] == nil, "the old key is still deployed after the grace clean-up")
                let restarts = await scenario.kube.requests.filter {
                    $0.method == "PATCH" && $0.path.hasSuffix("/deployments/\(Scenario.location.deployment)")
                }.count
                #expect(restarts == 2, "one restart for the rotation and one for the clean-up, not \(restarts)")
                try await expectAuditAndNoLeaks(cluster, point: "timers")
            }
        }
    }

    // MARK: - Takeover after SIGKILL

    static let crashCases: [(CrashStrategy, String)] = [CrashStrategy.jwtSingleRollout, .postgresManual].flatMap { strategy in
        strategy.steps.map { (strategy, $0) }
    }

    @Test("SIGKILL of the replica driving the rotation after the step: the other finishes it within the lease time", arguments: crashCases)
    func takeoverAfterSIGKILL(strategy: CrashStrategy, step: String) async throws {
        let point = "after:\(step)"
        try await Scenario.with(edit: strategy.edit) { scenario in
            let secret = strategy.secret
            let old = try #require(scenario.initialVersions[secret])
            let oldValue = try #require(try await scenario.value(secret, old))
            // Both replicas carry the crash point: whichever drives the rotation dies there, and the
            // other, resuming after that step, never reaches it.
            try await ReplicaCluster.with(scenario, extra: ["AEGIS_CRASH_POINT": point]) { cluster in
                try await cluster.fake.slashCommand(user: People.alice, channel: People.ops, text: "\(secret) takeover test")
                let request = try await cluster.requestMessage()
                try await cluster.fake.click(user: People.carol, channel: People.ops, message: request, actionID: "approve", value: "R-1")

                let (victim, killedAt) = try await waitForCrash(cluster, point: point)
                let survivor = try #require(Self.replicas.first { $0 != victim })
                let takeover = try await waitForTakeover(cluster, by: survivor, since: killedAt)
                // The running summary, for the README's numbers (the last line has every run).
                print(TakeoverTimes.shared.record(takeover, case: point, strategy: strategy.rawValue))
                #expect(takeover < ReplicaCluster.leaseTTL * 2, "the takeover after \(point) took \(takeover)")

                let thread = try await cluster.waitForEnd(of: request)
                #expect(thread.contains("🎉 R-1 completed"), "after \(point): \(thread)")
                let done = try await cluster.stepsDone()
                #expect(done.map(\.step) == strategy.steps, "steps done after \(point): \(done.map(\.step))")
                let crashIndex = try #require(strategy.steps.firstIndex(of: step))
                #expect(done.prefix(crashIndex + 1).allSatisfy { $0.replica == victim }, "after \(point): \(done)")
                #expect(done.dropFirst(crashIndex + 1).allSatisfy { $0.replica == survivor }, "after \(point): \(done)")

                let current = try #require(try await scenario.version(secret, .current), "no AWSCURRENT after \(point)")
                let newValue = try #require(try await scenario.value(secret, current))
                #expect(current != old, "AWSCURRENT is still the old version after \(point)")
                try await RecoveryChecks.expectTargetAgrees(strategy, scenario: scenario, requirepass: nil, point: point,
                                                            current: current, newValue: newValue, old: old, oldValue: oldValue)
                try await RecoveryChecks.expectRestartedAfterChange(strategy, scenario: scenario, point: point)
                try await expectAuditAndNoLeaks(cluster, point: point)
            }
        }
    }

    // MARK: - Partition

    @Test("a replica cut off from PostgreSQL stops before its lease ends; the other takes over; no step runs twice at once")
    func partitionedReplicaStops() async throws {
        try await Scenario.with { scenario in
            let proxy = try await PartitionProxy.start(to: scenario.world.postgres.port)
            do {
                try await runPartition(scenario, proxy: proxy)
            } catch {
                await proxy.stop()
                throw error
            }
            await proxy.stop()
        }
    }

    func runPartition(_ scenario: Scenario, proxy: PartitionProxy) async throws {
        // replica-a reaches the database through the proxy and runs alone until it is inside the
        // restart step (rollouts stall); then replica-b starts, on the database directly, and the
        // path from replica-a is cut.
        try await ReplicaCluster.with(scenario, replicas: []) { cluster in
            try cluster.startReplica("replica-a", extra: ["AEGIS_STATE_URL": cluster.stateURLText(port: proxy.port)])
            try await cluster.waitForSockets(1)
            await scenario.kube.stallRollouts()
            try await cluster.fake.slashCommand(user: People.alice, channel: People.ops, text: "jwt partition test")
            let request = try await cluster.requestMessage()
            try await cluster.fake.click(user: People.carol, channel: People.ops, message: request, actionID: "approve", value: "R-1")
            _ = try await waitUntilValue("replica-a to be in R-1's restart step", timeout: .seconds(60)) { () -> Bool? in
                let steps = try await cluster.store.steps(rotationID: "R-1")
                let inRestart = steps.contains { $0.name == "restart" && $0.status == .running && $0.owner?.replica == "replica-a" }
                return inRestart ? true : nil
            }
            try cluster.startReplica("replica-b")
            try await cluster.waitForSockets(2)
            let cutAt = Date()
            proxy.partition()
            let survivorStart = try await waitUntilValue("replica-b to take over R-1", timeout: ReplicaCluster.leaseTTL * 5) { () -> Date? in
                let steps = try await cluster.store.steps(rotationID: "R-1")
                guard let restart = steps.first(where: { $0.name == "restart" }), restart.owner?.replica == "replica-b" else { return nil }
                return restart.startedAt
            }
            await scenario.kube.stallRollouts(false)
            let thread = try await cluster.waitForEnd(of: request)
            #expect(thread.contains("🎉 R-1 completed"), "\(thread)")
            let ownerLog = (try? String(contentsOf: cluster.logFile("replica-a"), encoding: .utf8)) ?? ""
            let stoppedAt = try #require(LogLines.time(ofFirst: "stopping the work under the lease", in: ownerLog),
                                         "the cut-off replica never said it stopped:\n\(ownerLog.suffix(4_000))")
            #expect(stoppedAt < survivorStart, "replica-a stopped at \(stoppedAt), after replica-b started the step at \(survivorStart)")
            let stoppedAfter = stoppedAt.timeIntervalSince(cutAt)
            #expect(stoppedAfter < ReplicaCluster.leaseTTL.timeInterval, "replica-a stopped \(stoppedAfter) s after the cut, past its lease")
            let done = try await cluster.stepsDone()
            #expect(done.map(\.step) == CrashStrategy.jwtSingleRollout.steps, "\(done)")
            #expect(done.filter { $0.step == "restart" }.map(\.replica) == ["replica-b"], "\(done)")
            try await expectAuditAndNoLeaks(cluster, point: "partition")
        }
    }

    // MARK: - Checks

    /// Every step done once, all by one replica; one restart per restart step; one request message.
    func expectRanOnce(_ cluster: ReplicaCluster, secret: String, request: FakeMessage) async throws {
        let definition = try cluster.scenario.definition(secret)
        let done = try await cluster.stepsDone()
        #expect(done.map(\.step) == definition.steps.map(\.name), "each step must be done exactly once: \(done)")
        #expect(Set(done.map(\.replica)).count == 1, "the steps of one run were done by several replicas: \(done)")
        #expect(done.allSatisfy { Self.replicas.contains($0.replica) }, "\(done)")
        let steps = try await cluster.store.steps(rotationID: "R-1")
        // One owner for every step (a step may have been retried, on that same replica).
        #expect(steps.allSatisfy { $0.owner != nil } && Set(steps.compactMap(\.owner)).count == 1,
                "\(steps.map { ($0.name, $0.owner?.rawValue ?? "-", $0.attempts) })")
        let requests = await cluster.scenario.kube.requests
        let restarts = requests.filter { $0.method == "PATCH" && $0.path.hasSuffix("/deployments/\(Scenario.location.deployment)") }.count
        let restartSteps = definition.steps.filter { $0.name.hasPrefix("restart") }.count
        #expect(restarts == restartSteps, "deployment restarts: \(restarts), restart steps: \(restartSteps)")
        let requestMessages = await cluster.fake.messages.filter { $0.channel == People.ops && $0.threadTS == nil && $0.text.contains("Rotation R-1 ") }
        #expect(requestMessages.count == 1, "one thread per rotation: \(requestMessages.count) request messages")
        try await expectAuditAndNoLeaks(cluster, point: "the run")
    }

    /// `audit verify` (the CLI, on the PostgreSQL store) passes; no secret value or bot credential
    /// is in anything a replica wrote, or in Slack.
    func expectAuditAndNoLeaks(_ cluster: ReplicaCluster, point: String) async throws {
        let audit = try await cluster.scenario.workspace.run(["audit", "verify"], environment: cluster.environment(replica: "cli"))
        #expect(audit.status == 0, "audit verify after \(point): \(audit.stdout)\(audit.stderr)")
        let slack = await cluster.fake.transcript + (await cluster.fake.calls.map { "\($0)" }.joined(separator: "\n"))
        let values = try await cluster.scenario.allSecretValues() + cluster.scenario.operatorCredentials
        let haystacks = LeakScanner.haystacks(cluster.scenario.workspace, outputs: cluster.outputs + [slack, audit.stdout, audit.stderr])
        let leaks = LeakScanner.leaks(of: values, in: haystacks)
        #expect(leaks.isEmpty, "secret values found after \(point) in: \(leaks)")
    }

    /// Waits until one replica ended by SIGKILL at `point`; returns its name and when it was seen dead.
    func waitForCrash(_ cluster: ReplicaCluster, point: String) async throws -> (String, ContinuousClock.Instant) {
        try await waitUntilValue("a replica to SIGKILL itself at \(point)", timeout: .seconds(90)) {
            for name in Self.replicas {
                guard let status = cluster.process(name)?.exitStatus else { continue }
                guard status == -SIGKILL else { throw ServerError("\(name) exited \(status), not by SIGKILL\n\(cluster.outputs.joined(separator: "\n---\n").suffix(4_000))") }
                return (name, ContinuousClock.now)
            }
            return nil
        }
    }

    /// How long after `since` the survivor held R-1's lease, or R-1 was already over.
    func waitForTakeover(_ cluster: ReplicaCluster, by survivor: String, since: ContinuousClock.Instant) async throws -> Duration {
        try await waitUntilValue("\(survivor) to take R-1 over", timeout: ReplicaCluster.leaseTTL * 4) {
            if try await cluster.leaseHolder("R-1") == survivor { return ContinuousClock.now - since }
            if let record = try await cluster.store.rotation(id: "R-1"), !record.status.isOpen { return ContinuousClock.now - since }
            return nil
        }
    }
}

/// Polls `probe` every 25 ms until it returns a value; throws naming `what` on the deadline.
func waitUntilValue<T: Sendable>(_ what: String, timeout: Duration, _ probe: () async throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let value = try await probe() { return value }
        try await Task.sleep(for: .milliseconds(25))
    }
    if let value = try await probe() { return value }
    throw ServerError("gave up waiting for \(what) after \(timeout)")
}

/// Takeover times measured by the SIGKILL cases, for the summary line.
final class TakeoverTimes: Sendable {
    static let shared = TakeoverTimes()
    private let times = Mutex<[Duration]>([])

    /// Adds one and returns the summary line so far.
    func record(_ time: Duration, case point: String, strategy: String) -> String {
        let sorted = times.withLock { times in
            times.append(time)
            return times.sorted()
        }
        let median = sorted[sorted.count / 2]
        return "takeover after SIGKILL (\(strategy), \(point)): \(time.formatted(.units(allowed: [.milliseconds]))); "
            + "over \(sorted.count) runs with lease TTL \(ReplicaCluster.leaseTTL): median \(median.formatted(.units(allowed: [.milliseconds]))), "
            + "max \(sorted.last!.formatted(.units(allowed: [.milliseconds])))"
    }
}

/// Reads the JSON log lines a replica wrote.
enum LogLines {
    /// The time of the first line whose message contains `text`.
    static func time(ofFirst text: String, in log: String) -> Date? {
        for line in log.split(separator: "\n") where line.contains(text) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let stamp = object["timestamp"] as? String ?? object["ts"] as? String ?? object["time"] as? String else { continue }
            if let date = Timestamps.parseISO8601(stamp) { return date }
        }
        return nil
    }
}
