import AegisCore
import AegisSlackTestSupport
import AegisTestServers
import Foundation
import Testing

/// The development JWT secret kept in 1Password (the Connect fake, the bot holding a token scoped
/// to the `aegis-dev` vault): rotated in the production shell and through Slack; the new 64-byte
/// value is current in the item, the old one kept in its previous field, developers are told what
/// to do, and nothing leaks — neither a value the item ever held nor the Connect token.
@Suite("production: the dev JWT secret in 1Password Connect", .productionWorld, .serialized, .timeLimit(.minutes(10)))
struct OnePasswordRotationTests {
    static let item = "aegis-dev-jwt-secret"
    static let developerNotice = "update VITE_DEV_TOKEN in frontend/.env.development"

    /// A scenario with the item made by hand in the fake's vault, holding `initial`.
    static func with(_ body: @Sendable (Scenario, OnePasswordFake, _ itemID: String, _ initial: String) async throws -> Void) async throws {
        try await Scenario.with { scenario in
            try await OnePasswordFake.with { connect in
                let initial = Data((0..<48).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
                let itemID = try await connect.makeItem(item, password: initial)
                try await body(scenario, connect, itemID, initial)
            }
        }
    }

    /// Every value the item ever held (the password and the bot's staging fields, in every
    /// version), the Connect token, and the scenario's own secrets.
    static func sensitiveValues(_ scenario: Scenario, _ connect: OnePasswordFake, itemID: String) async throws -> [String] {
        let labels: Set = ["password", "aegis-pending-value", "aegis-previous-value"]
        let held = try await connect.history(itemID).flatMap { version in
            version.fields.filter { labels.contains($0.key) }.map(\.value)
        }
        return Array(Set(held + [connect.token])).filter { $0.count >= 16 } + (try await scenario.allSecretValues())
    }

    /// Asserts the item after one completed rotation: a new 64-byte current value, the old one
    /// previous, nothing pending; returns the new value.
    @discardableResult
    static func expectRotated(_ connect: OnePasswordFake, itemID: String, from initial: String) async throws -> String {
        let fields = try await connect.fields(itemID)
        let current = try #require(fields["password"])
        #expect(current != initial)
        #expect(Data(base64Encoded: current)?.count == 64, "the new secret is 64 random bytes, base64")
        #expect(fields["aegis-previous-value"] == initial, "the old value is kept for a rollback")
        #expect(fields["aegis-previous-version"] == "1password-initial")
        #expect(fields["aegis-pending-value"] == nil && fields["aegis-pending-version"] == nil, "nothing left pending")
        #expect(fields["aegis-current-version"]?.isEmpty == false)
        return current
    }

    @Test("shell: a new 64-byte secret current, the old one previous, developers told about VITE_DEV_TOKEN; nothing leaks")
    func shell() async throws {
        try await Self.with { scenario, connect, itemID, initial in
            let run = try await scenario.rotateInShell("dev-jwt-secret", environment: connect.environment)
            #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains(Self.developerNotice), "\(run.stdout)")
            try await Self.expectRotated(connect, itemID: itemID, from: initial)
            let writes = try await connect.requests().filter { ($0["method"] as? String) == "PATCH" }
            #expect(writes.count == 2, "one atomic PATCH to stage, one to promote: \(writes.count)")

            let values = try await Self.sensitiveValues(scenario, connect, itemID: itemID)
            let outputs = [run.stdout, run.stderr, connect.log]
            let leaks = LeakScanner.leaks(of: values, in: LeakScanner.haystacks(scenario.workspace, outputs: outputs))
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("Slack: completed, verified by reading it back, the thread tells developers what to do; nothing leaks")
    func slack() async throws {
        try await Self.with { scenario, connect, itemID, initial in
            try await scenario.withSlackBot(connect.environment) { bot in
                let request = try await scenario.rotateInSlack(bot, "dev-jwt-secret quarterly")
                let thread = await bot.threadText(request)
                #expect(thread.contains("🎉 R-1 completed"), "\(thread)")
                #expect(thread.contains("Verification after rotation (R-1): passed"), "\(thread)")
                #expect(thread.contains(Self.developerNotice) && thread.contains("restart your dev server"), "\(thread)")
                try await Self.expectRotated(connect, itemID: itemID, from: initial)

                let values = try await Self.sensitiveValues(scenario, connect, itemID: itemID)
                let leaks = await bot.leaks(of: values) + LeakScanner.leaks(of: values, in: ["1Password fake log": Data(connect.log.utf8)])
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
            }
        }
    }
}
