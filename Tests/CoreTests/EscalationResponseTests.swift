import AegisCore
import AegisStateSQLite
import Foundation
import Testing

/// `/rotate ack` and `/rotate resolve` at the engine: only approvers, only escalated rotations,
/// each answer audited and published once; a later successful rotation resolves the earlier one.
@Suite("escalation answers: who may, on what, and what a later success does")
struct EscalationResponseTests {
    static func rolledBack(_ harness: EngineHarness, flag: URL) async throws -> RotationID {
        FileManager.default.createFile(atPath: flag.path, contents: Data())
        let id = try await harness.requestAndApprove("jwt")
        #expect(try await harness.finished(id).status == .rolledBack)
        return id
    }

    static func reason(_ outcome: DecisionOutcome) -> String? {
        if case .refused(let reason) = outcome { return reason }
        return nil
    }

    @Test("refused for a non-approver, an unknown ID and a completed rotation; ack then resolve once each")
    func rules() async throws {
        let flag = try temporaryDirectory("flag").appendingPathComponent("fail")
        let harness = try await EngineHarness(restartCommand: "if [ -e \(flag.path) ]; then rm \(flag.path); exit 1; fi")
        defer { harness.stop() }
        let failed = try await Self.rolledBack(harness, flag: flag)

        #expect(Self.reason(try await harness.engine.respond(.acknowledged, rotationID: failed.rawValue, user: "alice"))?
            .contains("Only members of #security-ops") == true)
        #expect(Self.reason(try await harness.engine.respond(.resolved, rotationID: "R-99", user: "carol"))?.contains("no rotation R-99") == true)
        #expect(Self.reason(try await harness.engine.respond(.resolved, rotationID: "not an id", user: "carol")) != nil)

        guard case .accepted(let acknowledged) = try await harness.engine.respond(.acknowledged, rotationID: failed.rawValue, user: "carol") else {
            Issue.record("carol's ack was refused")
            return
        }
        #expect(acknowledged.record.escalationHandling?.response == .acknowledged)
        #expect(Self.reason(try await harness.engine.respond(.acknowledged, rotationID: failed.rawValue, user: "dave"))?
            .contains("already acknowledged by carol") == true)
        guard case .accepted(let resolved) = try await harness.engine.respond(.resolved, rotationID: failed.rawValue, user: "dave") else {
            Issue.record("dave's resolve was refused")
            return
        }
        #expect(resolved.record.escalationHandling?.by == "dave")
        #expect(Self.reason(try await harness.engine.respond(.acknowledged, rotationID: failed.rawValue, user: "carol"))?
            .contains("already resolved by dave") == true)

        let completed = try await harness.requestAndApprove("jwt")
        #expect(try await harness.finished(completed).status == .completed)
        #expect(Self.reason(try await harness.engine.respond(.resolved, rotationID: completed.rawValue, user: "carol"))?
            .contains("did not escalate") == true)

        let audit = try await harness.state.auditRecords().compactMap(\.entry)
        #expect(audit.filter { $0.action == .escalationAcknowledged }.map(\.actor) == ["carol"])
        #expect(audit.filter { $0.action == .escalationResolved }.map(\.actor) == ["dave"])
        #expect(audit.filter { $0.action == .refused("escalation.acknowledged") }.count == 3, "every refusal is audited")
        let published = await harness.sink.count { if case .escalationHandled = $0 { return true } else { return false } }
        #expect(published == 2)
    }

    @Test("a later successful rotation resolves an open escalation, naming itself; a leak's stays open")
    func laterSuccess() async throws {
        let flag = try temporaryDirectory("flag").appendingPathComponent("fail")
        let harness = try await EngineHarness(restartCommand: "if [ -e \(flag.path) ]; then rm \(flag.path); exit 1; fi")
        defer { harness.stop() }
        let failed = try await Self.rolledBack(harness, flag: flag)
        let leak = try await harness.requestAndApprove("jwt", leaked: true)
        #expect(try await harness.finished(leak).status == .completed)
        let record = try #require(try await harness.state.rotation(id: failed))
        #expect(record.escalationHandling?.response == .resolved)
        #expect(record.escalationHandling?.resolvedByRotation == leak)
        #expect(record.escalationHandling?.by == "aegis-rotate")
        #expect(try await harness.state.rotation(id: leak)?.escalationOpen == true, "a person closes a leak's incident")

        let next = try await harness.requestAndApprove("jwt")
        #expect(try await harness.finished(next).status == .completed)
        #expect(try await harness.state.rotation(id: leak)?.escalationOpen == true)
    }
}
