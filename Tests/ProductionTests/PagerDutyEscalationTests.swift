import AegisCore
import AegisTestServers
import Foundation
import Testing

/// Escalations page on-call through the PagerDuty fake (Events API v2 over TLS), from real bot
/// processes: one incident per rotation with what failed and the runbook action, acknowledged and
/// resolved from the shell, resolved by a later successful rotation, and a leak paged at approval.
@Suite("production: PagerDuty paging on escalation", .productionWorld, .serialized, .timeLimit(.minutes(5)))
struct PagerDutyEscalationTests {
    static func with(_ body: @Sendable (Scenario, PagerDutyFake) async throws -> Void) async throws {
        try await Scenario.with { scenario in
            let pagerDuty = try await PagerDutyFake.start()
            do {
                try await body(scenario, pagerDuty)
                await pagerDuty.stop()
            } catch {
                await pagerDuty.stop()
                throw error
            }
        }
    }

    /// The PostgreSQL rotation rolled back: the pods its restart starts cannot reach the database.
    static func rolledBack(_ scenario: Scenario, _ pagerDuty: PagerDutyFake) async throws -> TestProcess {
        let watcher = scenario.behaveAfterRestarts([1: .init(components: ["database": "down"]), 2: .init(components: ["database": "ok"])])
        defer { watcher.cancel() }
        let run = try await scenario.rotateInShell("postgres", environment: pagerDuty.environment)
        #expect(run.stdout.contains("↺ R-1 rolled back"), "\(run.stdout)")
        return run
    }

    /// A shell that stays open (its timers fire) until `condition` holds.
    static func shellUntil(_ scenario: Scenario, _ pagerDuty: PagerDutyFake, lines: [String] = [], _ what: String,
                           _ condition: @escaping () async throws -> Bool) async throws -> TestProcess {
        let shell = try scenario.shell(pagerDuty.environment)
        for line in lines { shell.send(line) }
        do {
            try await waitUntil(what, timeout: .seconds(60), every: .milliseconds(200), condition)
        } catch {
            shell.closeInput()
            _ = try? await shell.waitForExit(timeout: .seconds(30))
            throw ServerError("\(error)\nshell:\n\(shell.outputTail)\nPagerDuty fake:\n\(pagerDuty.log.suffix(2_000))")
        }
        shell.closeInput()
        #expect(try await shell.waitForExit(timeout: .seconds(30)) == 0)
        return shell
    }

    static func leaks(_ scenario: Scenario, _ pagerDuty: PagerDutyFake, outputs: [String]) async throws -> [String] {
        let everything = outputs + [try await pagerDuty.eventsText(), pagerDuty.log]
        var found = try await scenario.leaks(outputs: everything)
        // The routing key may only ever be in the request bodies the fake received.
        found += LeakScanner.leaks(of: [pagerDuty.routingKey], in: LeakScanner.haystacks(scenario.workspace, outputs: outputs + [pagerDuty.log]))
        return found
    }

    @Test("a rollback opens one incident with what failed and the runbook action; /rotate ack, then /rotate resolve close it")
    func rollbackPagesAndPersonResolves() async throws {
        try await Self.with { scenario, pagerDuty in
            let run = try await Self.rolledBack(scenario, pagerDuty)
            #expect(run.stdout.contains("/rotate ack R-1"), "the escalation says how to answer it: \(run.stdout)")
            let acknowledged = try await Self.shellUntil(scenario, pagerDuty, lines: ["/rotate ack R-1"], "the incident to be acknowledged") {
                try await pagerDuty.incidents().first?.status == "acknowledged"
            }
            #expect(acknowledged.stdout.contains("R-1's escalation is now acknowledged"), "\(acknowledged.stdout)")
            let resolved = try await Self.shellUntil(scenario, pagerDuty, lines: ["/rotate resolve R-1"], "the incident to be resolved") {
                try await pagerDuty.incidents().first?.status == "resolved"
            }
            let incidents = try await pagerDuty.incidents()
            #expect(incidents.count == 1, "one incident: \(incidents.map(\.dedupKey))")
            let incident = try #require(incidents.first)
            #expect(incident.dedupKey == "aegis-rotate/postgres-password/R-1")
            #expect(incident.severity == "error")
            #expect(incident.alerts == 1, "paged once")
            #expect(incident.actions == ["trigger", "acknowledge", "resolve"], "\(incident.actions)")
            #expect(incident.summary.contains("postgres-password") && incident.summary.contains("R-1"), "\(incident.summary)")
            #expect(incident.details["secret_id"] == "postgres-password")
            #expect(incident.details["rotation_id"] == "R-1")
            #expect(incident.details["what_failed"]?.contains("health .components.database") == true, "\(incident.details)")
            #expect(incident.details["runbook_action"]?.isEmpty == false)

            let again = try scenario.shell(pagerDuty.environment)
            again.send("/rotate resolve R-1")
            again.closeInput()
            #expect(try await again.waitForExit(timeout: .seconds(60)) == 0)
            #expect(again.stdout.contains("already resolved by root"), "\(again.stdout)")
            let audit = try await scenario.workspace.run(["audit", "verify"], environment: scenario.environment())
            #expect(audit.status == 0, "\(audit.stderr)")
            let leaks = try await Self.leaks(scenario, pagerDuty, outputs: [run.stdout, run.stderr, acknowledged.stdout, acknowledged.stderr,
                                                                            resolved.stdout, resolved.stderr, again.stdout])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("a later successful rotation of the secret resolves the earlier escalation's incident")
    func laterSuccessResolves() async throws {
        try await Self.with { scenario, pagerDuty in
            let failed = try await Self.rolledBack(scenario, pagerDuty)
            try await scenario.requestAsOperator("/rotate postgres second try", environment: pagerDuty.environment)
            let second = try await Self.shellUntil(scenario, pagerDuty, lines: ["approve R-2", "/wait"], "R-1's incident to be resolved by R-2") {
                try await pagerDuty.incidents().first?.status == "resolved"
            }
            #expect(second.stdout.contains("🎉 R-2 completed"), "\(second.stdout)")
            #expect(second.stdout.contains("R-1's escalation (postgres-password) is resolved: R-2 rotated the secret"), "\(second.stdout)")
            let incidents = try await pagerDuty.incidents()
            #expect(incidents.count == 1, "R-2 opened no incident: \(incidents.map(\.dedupKey))")
            #expect(incidents.first?.actions == ["trigger", "resolve"])
            let leaks = try await Self.leaks(scenario, pagerDuty, outputs: [failed.stdout, failed.stderr, second.stdout, second.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("--leaked pages at approval, critical; the completed leak rotation leaves the incident for a person")
    func leakPages() async throws {
        try await Self.with { scenario, pagerDuty in
            let run = try await scenario.rotateInShell("postgres --leaked", environment: pagerDuty.environment)
            #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)")
            _ = try await Self.shellUntil(scenario, pagerDuty, "the leak's incident") {
                try await pagerDuty.incidents().count == 1
            }
            let incident = try #require(try await pagerDuty.incidents().first)
            #expect(incident.severity == "critical")
            #expect(incident.status == "triggered", "a person closes a leak's incident")
            #expect(incident.summary.contains("Leaked credential: postgres-password"), "\(incident.summary)")
            let leaks = try await Self.leaks(scenario, pagerDuty, outputs: [run.stdout, run.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }
}
