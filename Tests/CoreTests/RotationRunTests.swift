import AegisCore
import AegisLocalSandbox
import AegisStateSQLite
import Logging
import Foundation
import Testing

@Suite("Rotations run, roll back and clean up")
struct RotationRunTests {
    @Test("HS256 single rollout: store and config agree, old key kept for the grace period")
    func hs256Rotation() async throws {
        let harness = try await EngineHarness()
        defer { harness.stop() }
        let oldVersion = try #require(try await harness.stage("jwt-signing-key", .current))
        let id = try await harness.requestAndApprove("jwt")
        let record = try await harness.finished(id)
        #expect(record.status == .completed)
        let newVersion = try #require(record.facts[FactKey.newVersion])
        #expect(try await harness.stage("jwt-signing-key", .current) == newVersion)
        #expect(try await harness.stage("jwt-signing-key", .previous) == oldVersion)
        let config = try await harness.config("jwt-signing-key")
        #expect(config["jwt.signing_key"] == (try await harness.value("jwt-signing-key", newVersion)))
        #expect(config["jwt.previous_signing_key"] == (try await harness.value("jwt-signing-key", oldVersion)))
        #expect(config["jwt.signing_key_id"] == newVersion)
        #expect(Data(base64Encoded: config["jwt.signing_key"] ?? "")?.count == 64)
        let timers = try await harness.state.timers(rotationID: id).filter { $0.kind == .graceCleanup }
        #expect(timers.count == 1)
        #expect(timers[0].dueAt.timeIntervalSinceNow > 86_000)
    }

    @Test("RS256 with the verify-first order: two rollouts, tokens verify by kid")
    func rs256VerifyFirst() async throws {
        let commands = try commandsCopy(editing: "jwt-signing-key.yaml", [
            ("format: jwt-hs256", "format: jwt-rs256"), ("strategy: single-rollout", "strategy: verify-first")])
        let harness = try await EngineHarness(commands: commands)
        defer { harness.stop() }
        let id = try await harness.requestAndApprove("jwt")
        let record = try await harness.finished(id)
        #expect(record.status == .completed, "\(record.failure ?? "")")
        let config = try await harness.config("jwt-signing-key")
        #expect(config["jwt.signing_key"]?.hasPrefix("-----BEGIN RSA PRIVATE KEY-----") == true)
        #expect(config["jwt.next_signing_key"] == nil)
        let steps = try await harness.state.steps(rotationID: id)
        #expect(steps.map(\.name) == ["generate", "deploy-verify-only", "restart-verify-only", "deploy-signing", "restart-signing", "verify", "promote", "grace-cleanup"])
        #expect(steps.allSatisfy { $0.status == .done })
        let report = try #require(await harness.sink.verificationReports().first)
        #expect(report.results.contains { $0.title == "tokens verify by kid" && $0.status == .passed && $0.detail.contains("RS256") })
    }

    @Test("JWT tokens: a token signed with one key is refused by another, and by a set without its kid")
    func jwtVerification() throws {
        let key = try SecretGenerator.generate(.jwtHS256)
        let other = try SecretGenerator.generate(.jwtHS256)
        let token = try JWTToken.sign(kid: "k1", key: key, claims: ["sub": "x"])
        #expect(JWTToken.verify(token, keys: ["k1": key]))
        #expect(!JWTToken.verify(token, keys: ["k1": other]))
        #expect(!JWTToken.verify(token, keys: ["k2": key]))
        let rsa = try SecretGenerator.generate(.jwtRS256)
        let rsaToken = try JWTToken.sign(kid: "r1", key: rsa, claims: ["sub": "x"])
        #expect(JWTToken.verify(rsaToken, keys: ["r1": rsa]))
        #expect(!JWTToken.verify(rsaToken, keys: ["r1": key]))
    }

    @Test("a failing restart rolls back: old key live again, pending discarded, escalation posted")
    func rollbackOnFailure() async throws {
        let flag = try temporaryDirectory("flag").appendingPathComponent("fail")
        let harness = try await EngineHarness(restartCommand: "if [ -e \(flag.path) ]; then rm \(flag.path); exit 1; fi")
        defer { harness.stop() }
        let oldVersion = try #require(try await harness.stage("jwt-signing-key", .current))
        let oldConfig = try await harness.config("jwt-signing-key")
        FileManager.default.createFile(atPath: flag.path, contents: Data())
        let id = try await harness.requestAndApprove("jwt")
        let record = try await harness.finished(id)
        #expect(record.status == .rolledBack)
        #expect(record.failure?.contains("step 'restart' failed") == true)
        #expect(try await harness.stage("jwt-signing-key", .current) == oldVersion)
        #expect(try await harness.stage("jwt-signing-key", .pending) == nil)
        let config = try await harness.config("jwt-signing-key")
        #expect(config["jwt.signing_key"] == oldConfig["jwt.signing_key"])
        #expect(config["jwt.previous_signing_key"] == nil)
        let escalation = try #require(await harness.sink.escalations().first)
        #expect(escalation.whatFailed.contains("restart"))
        #expect(escalation.whatWasRestored.contains { $0.contains("jwt.signing_key = version \(oldVersion)") })
        #expect(escalation.whatWasRestored.contains { $0.contains("restarted with the restored config") })
        #expect(await harness.sink.verificationReports().last?.phase == .afterRollback)
        #expect(await harness.sink.verificationReports().last?.passed == true)
        #expect(escalation.action.contains("Page the platform on-call"))
        let steps = try await harness.state.steps(rotationID: id)
        #expect(steps[0...2].allSatisfy { $0.status == .rolledBack })
        #expect(steps[2].error?.contains("restart command exited") == true)
        #expect(steps[3].status == .pending)
    }

    @Test("the grace timer removes the old key; a superseded key is left alone")
    func graceCleanup() async throws {
        let harness = try await EngineHarness(settings: RotationSettings(graceOverrides: ["AEGIS_JWT_GRACE": .milliseconds(100)],
                                                                          retryBaseDelay: .milliseconds(10)))
        defer { harness.stop() }
        let scheduler = TimerScheduler(state: harness.state, engine: harness.engine, pollInterval: .seconds(1), logger: .init(label: "t"))
        let first = try await harness.requestAndApprove("jwt")
        #expect(try await harness.finished(first).status == .completed)
        #expect(try await harness.config("jwt-signing-key")["jwt.previous_signing_key"] != nil)
        try await Task.sleep(for: .milliseconds(150))
        await scheduler.fireDueTimers()
        let config = try await harness.config("jwt-signing-key")
        #expect(config["jwt.previous_signing_key"] == nil)
        #expect(config["jwt.previous_signing_key_id"] == nil)
        #expect(try await harness.state.timers(rotationID: first).first?.status == .done)

        let second = try await harness.requestAndApprove("jwt")
        #expect(try await harness.finished(second).status == .completed)
        let third = try await harness.requestAndApprove("jwt")
        #expect(try await harness.finished(third).status == .completed)
        try await Task.sleep(for: .milliseconds(150))
        let previousBefore = try await harness.config("jwt-signing-key")["jwt.previous_signing_key_id"]
        let secondTimer = try #require(try await harness.state.timers(rotationID: second).first)
        let note = try await harness.engine.fire(secondTimer)
        #expect(note.contains("a later rotation replaced"))
        #expect(try await harness.config("jwt-signing-key")["jwt.previous_signing_key_id"] == previousBefore)
    }

    @Test("--leaked: incident notice, old key removed at once")
    func leaked() async throws {
        let harness = try await EngineHarness()
        defer { harness.stop() }
        let id = try await harness.requestAndApprove("jwt", leaked: true)
        let record = try await harness.finished(id)
        #expect(record.status == .completed)
        #expect(record.plan.grace == .zero)
        #expect(try await harness.config("jwt-signing-key")["jwt.previous_signing_key"] == nil)
        #expect(await harness.sink.count { if case .incident = $0 { true } else { false } } == 1)
        #expect(await harness.sink.count { if case .graceCleanup = $0 { true } else { false } } == 1)
    }

    @Test("dev JWT secret: new value promoted, developers told what to update")
    func devJWTSecret() async throws {
        let harness = try await EngineHarness()
        defer { harness.stop() }
        let id = try await harness.requestAndApprove("dev-jwt")
        let record = try await harness.finished(id)
        #expect(record.status == .completed)
        let value = try #require(try await harness.value("dev-jwt-secret", record.facts[FactKey.newVersion] ?? ""))
        #expect(Data(base64Encoded: value)?.count == 64)
        #expect(await harness.sink.count { if case .note(_, let text) = $0 { text.contains("VITE_DEV_TOKEN") } else { false } } == 1)
    }

    @Test("a key staged in the store by the operator is picked up, never touching chat")
    func stagedKey() async throws {
        let commands = try commandsCopy()
        try """
        id: staged-token
        title: Staged token
        every: 90d
        storage:
          kind: aws-secrets-manager
          name: aegis/staged-token
        strategy: console
        strategies:
          console:
            - kind: await-provided-key
              stage_command: "put-secret-value --version-stages AWSPENDING"
            - kind: promote
            - kind: verify
        verify:
          - kind: store-readback
        escalation: none
        """.write(to: commands.appendingPathComponent("staged-token.yaml"), atomically: true, encoding: .utf8)
        let harness = try await EngineHarness(commands: commands)
        defer { harness.stop() }
        let location = harness.definition("staged-token").storage
        try await harness.sandbox.store.putPending(secret: location, versionID: "v-old", value: SecretValue(utf8: "old-staged-value"))
        try await harness.sandbox.store.makeCurrent(secret: location, versionID: "v-old")
        let id = try await harness.requestAndApprove("staged-token")
        let asked: @Sendable (RotationEvent) -> Bool = {
            if case .keyRequested(_, let request) = $0 { request.stageCommand?.contains("AWSPENDING") == true } else { false }
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while await harness.sink.count(where: asked) == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(await harness.sink.count(where: asked) == 1)
        try await harness.sandbox.store.putPending(secret: location, versionID: "v-operator", value: SecretValue(utf8: "operator-staged-value"))
        let record = try await harness.finished(id)
        #expect(record.status == .completed)
        #expect(record.facts[FactKey.newVersion] == "v-operator")
        #expect(try await harness.stage("staged-token", .current) == "v-operator")
        guard case .refused(let reason) = try await harness.engine.provideKey(rotationID: id.rawValue, user: "alice", value: SecretValue(utf8: "late")) else {
            Issue.record("a key for a finished rotation was accepted"); return
        }
        #expect(reason.contains("not waiting for a key"))
    }

    @Test("overdue secrets are reported by due and by the reminder timer")
    func overdue() async throws {
        let harness = try await EngineHarness(commands: try commandsCopy(editing: "dev-jwt-secret.yaml", [("every: 90d", "every: 1ms")]),
                                              settings: RotationSettings(dueCheckInterval: .milliseconds(1)))
        defer { harness.stop() }
        try await Task.sleep(for: .milliseconds(20))
        let report = await harness.engine.dueReport()
        #expect(report.first { $0.secretID == "dev-jwt-secret" }?.status == .overdue)
        #expect(report.first { $0.secretID == "jwt-signing-key" }?.status == .ok)
        #expect(report.first { $0.secretID == "okta-api-token" }?.status == .unknown)
        try await harness.engine.scheduleDueCheckIfNeeded()
        try await Task.sleep(for: .milliseconds(20))
        let scheduler = TimerScheduler(state: harness.state, engine: harness.engine, pollInterval: .seconds(1), logger: .init(label: "t"))
        await scheduler.fireDueTimers()
        #expect(await harness.sink.count { if case .overdue(let items) = $0 { items.map(\.secretID) == ["dev-jwt-secret"] } else { false } } == 1)
        #expect(try await harness.state.pendingTimers(kind: .dueCheck).count == 1)
    }
}
