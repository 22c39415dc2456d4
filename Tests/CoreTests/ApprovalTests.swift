import AegisCore
import AegisStateSQLite
import AegisTestServers
import Logging
import Foundation
import Testing

@Suite("Requests and the two-person rule")
struct ApprovalTests {
    @Test("requester and non-members are refused with reasons; an approver's approval counts")
    func twoPersonRule() async throws {
        let harness = try await EngineHarness()
        defer { harness.stop() }
        guard case .created(let snapshot) = try await harness.engine.request(secretName: "jwt", requester: "alice", reason: "q4",
                                                                             leaked: false, channel: "ops") else {
            Issue.record("not created"); return
        }
        let id = snapshot.record.id
        #expect(id == "R-1")
        guard case .refused(let own) = try await harness.engine.approve(rotationID: id, user: "alice") else { Issue.record("self-approval accepted"); return }
        #expect(own.contains("You requested R-1"))
        guard case .refused(let outsider) = try await harness.engine.approve(rotationID: id, user: "bob") else { Issue.record("non-member accepted"); return }
        #expect(outsider.contains("Only members of #security-ops"))
        guard case .refused(let unknown) = try await harness.engine.approve(rotationID: "R-99", user: "carol") else { Issue.record("unknown accepted"); return }
        #expect(unknown.contains("There is no rotation R-99"))
        guard case .accepted = try await harness.engine.approve(rotationID: "r-1", user: "carol") else { Issue.record("approver refused"); return }
        guard case .refused(let again) = try await harness.engine.approve(rotationID: id, user: "dave") else { Issue.record("double approval accepted"); return }
        #expect(again.contains("already"))
        let record = try await harness.finished(id)
        #expect(record.status == .completed)
        #expect(record.decidedBy == "carol")
        guard case .refused(let finished) = try await harness.engine.deny(rotationID: id, user: "dave") else { Issue.record("deny of finished accepted"); return }
        #expect(finished.contains("completed"))
        let audit = try await harness.state.auditRecords().compactMap(\.entry)
        #expect(audit.filter { $0.action.rawValue == "approve.refused" }.count == 4)
        #expect(audit.contains { $0.action.rawValue == "rotation.approved" && $0.actor == "carol" })
        #expect(audit.filter { $0.action.rawValue == "deny.refused" }.count == 1)
    }

    @Test("an expired request cannot be approved (the engine's clock moved past the approval TTL)")
    func expiry() async throws {
        let clock = ManualClock()
        let harness = try await EngineHarness(settings: RotationSettings(approvalTTL: .seconds(1_800)), clock: clock)
        defer { harness.stop() }
        guard case .created(let snapshot) = try await harness.engine.request(secretName: "jwt", requester: "alice", reason: "",
                                                                             leaked: false, channel: "ops") else { Issue.record("not created"); return }
        clock.advance(by: 1_801)
        guard case .refused(let reason) = try await harness.engine.approve(rotationID: snapshot.record.id, user: "carol") else {
            Issue.record("expired approval accepted"); return
        }
        #expect(reason.contains("expired"))
        #expect(try await harness.state.rotation(id: snapshot.record.id)?.status == .expired)
        #expect(try await harness.stage("jwt-signing-key", .pending) == nil)
    }

    @Test("the durable expiry timer expires a forgotten request")
    func expiryTimer() async throws {
        let harness = try await EngineHarness(settings: RotationSettings(approvalTTL: .milliseconds(100)))
        defer { harness.stop() }
        guard case .created(let snapshot) = try await harness.engine.request(secretName: "jwt", requester: "alice", reason: "",
                                                                             leaked: false, channel: "ops") else { Issue.record("not created"); return }
        try await Task.sleep(for: .milliseconds(200))
        let scheduler = TimerScheduler(state: harness.state, engine: harness.engine, pollInterval: .seconds(1), logger: .init(label: "t"))
        await scheduler.fireDueTimers()
        #expect(try await harness.state.rotation(id: snapshot.record.id)?.status == .expired)
        #expect(await harness.sink.count { if case .decided(let s) = $0 { s.record.status == .expired } else { false } } == 1)
    }

    @Test("the scheduler wakes for a timer scheduled while it sleeps, not at its next poll an hour later")
    func schedulerWakesForANewTimer() async throws {
        let harness = try await EngineHarness(settings: RotationSettings(approvalTTL: .milliseconds(300)))
        defer { harness.stop() }
        let scheduler = TimerScheduler(state: harness.state, engine: harness.engine, pollInterval: .seconds(3_600), logger: .init(label: "t"))
        let running = Task { try await scheduler.run() }
        // Let the scheduler reach its sleep (it first schedules the due check, then fires what is due).
        try await waitUntil("the scheduler's due-check timer", timeout: .seconds(10)) {
            try await !harness.state.pendingTimers(kind: .dueCheck).isEmpty
        }
        guard case .created(let snapshot) = try await harness.engine.request(secretName: "jwt", requester: "alice", reason: "",
                                                                             leaked: false, channel: "ops") else { Issue.record("not created"); return }
        try await waitUntil("the expiry timer to fire while the scheduler's poll is an hour away", timeout: .seconds(20)) {
            try await harness.state.rotation(id: snapshot.record.id)?.status == .expired
        }
        running.cancel()
        try await withDeadline(.seconds(10), "the scheduler to end when cancelled") { _ = try await running.value }
    }

    @Test("deny and cancel end a request; a second request points at the open one")
    func denyCancelAndDuplicates() async throws {
        let harness = try await EngineHarness()
        defer { harness.stop() }
        guard case .created(let first) = try await harness.engine.request(secretName: "jwt", requester: "alice", reason: "",
                                                                          leaked: false, channel: "ops") else { Issue.record("not created"); return }
        guard case .alreadyOpen(let open) = try await harness.engine.request(secretName: "jwt-signing-key", requester: "bob", reason: "",
                                                                             leaked: false, channel: "ops") else { Issue.record("duplicate created"); return }
        #expect(open.id == first.record.id)
        guard case .refused(let selfDeny) = try await harness.engine.deny(rotationID: first.record.id, user: "alice") else { Issue.record("self-deny"); return }
        #expect(selfDeny.contains("/rotate cancel"))
        guard case .accepted(let denied) = try await harness.engine.deny(rotationID: first.record.id, user: "dave") else { Issue.record("deny refused"); return }
        #expect(denied.record.status == .denied)
        guard case .created(let second) = try await harness.engine.request(secretName: "jwt", requester: "alice", reason: "",
                                                                           leaked: false, channel: "ops") else { Issue.record("not created"); return }
        guard case .refused = try await harness.engine.cancel(rotationID: second.record.id, user: "bob") else { Issue.record("stranger cancelled"); return }
        guard case .accepted(let cancelled) = try await harness.engine.cancel(rotationID: second.record.id, user: "alice") else { Issue.record("cancel refused"); return }
        #expect(cancelled.record.status == .cancelled)
        #expect(second.record.id == "R-2")
    }

    @Test("unknown secrets get the closest name; secrets needing real systems say what they need")
    func badRequests() async throws {
        let harness = try await EngineHarness()
        defer { harness.stop() }
        guard case .unknownSecret(_, let suggestion, let valid) = try await harness.engine.request(
            secretName: "okat", requester: "alice", reason: "", leaked: false, channel: "ops") else { Issue.record("accepted"); return }
        #expect(suggestion == "okta-api-token")
        #expect(valid.count == 9)
        guard case .notReady(_, let missing) = try await harness.engine.request(
            secretName: "postgres", requester: "alice", reason: "", leaked: false, channel: "ops") else { Issue.record("accepted"); return }
        #expect(missing.contains { $0.contains("DATABASE_URL") })
        guard case .notReady(_, let okta) = try await harness.engine.request(
            secretName: "okta", requester: "alice", reason: "", leaked: false, channel: "ops") else { Issue.record("accepted"); return }
        #expect(okta.contains { $0.contains("OKTA_ORG_URL") })
        #expect(try await harness.state.rotations(statuses: Set(RotationStatus.allCases)).isEmpty)
    }

    @Test("an approval is bound to the plan: a changed plan is refused")
    func planBinding() async throws {
        let commands = try commandsCopy()
        let harness = try await EngineHarness(commands: commands)
        defer { harness.stop() }
        guard case .created(let snapshot) = try await harness.engine.request(secretName: "jwt", requester: "alice", reason: "",
                                                                             leaked: false, channel: "ops") else { Issue.record("not created"); return }
        let changed = try await EngineHarness(commands: try commandsCopy(editing: "jwt-signing-key.yaml", [("grace: 24h", "grace: 1h")]))
        defer { changed.stop() }
        let record = try #require(try await harness.state.rotation(id: snapshot.record.id))
        let engineWithNewFile = changed.engine
        let differentDigest = await engineWithNewFile.preview(secretName: "jwt", leaked: false)?.plan.digest
        #expect(differentDigest != record.planDigest)
    }
}
