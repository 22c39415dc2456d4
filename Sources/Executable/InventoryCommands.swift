import AegisApp
import AegisChat
import AegisCore
import ArgumentParser
import Foundation

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the inventory (the Commands folder) as a table.")

    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        try await CLIRuntime.withContext(.inventory) { app in
            if json {
                let rows: [[String: String]] = app.inventory.definitions.map { definition in
                    [
                        "id": definition.id, "title": definition.title, "aliases": definition.aliases.joined(separator: ","),
                        "storage": definition.storage.displayName, "every": DurationText.format(definition.every),
                        "auto_rotation": definition.autoRotation ?? "no", "strategy": definition.strategy,
                        "deploy": definition.deploy.map { "\($0.namespace)/\($0.deployment) \($0.objectDescription)" } ?? "",
                    ]
                }
                let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                printSafe(InventoryMessages.listTable(app.inventory))
            }
        }
    }
}

struct Due: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "When each secret is due; which are overdue.")

    @Flag(help: "Print JSON instead of a table.") var json = false
    @Flag(help: "Exit with status 2 when any secret is overdue.") var check = false

    func run() async throws {
        try await CLIRuntime.withContext(.inventory) { app in
            let items = await app.engine.dueReport()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(items), as: UTF8.self))
            } else {
                printSafe(InventoryMessages.dueTable(items))
            }
            if check, items.contains(where: { $0.status == .overdue }) { throw ExitCodes.overdue }
        }
    }
}

struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the steps a rotation of <secret> would run here; exit 5 when it cannot run here.")

    @Argument(help: "Secret ID or alias.") var secret: String
    @Flag(help: "Plan the leak response (no grace period).") var leaked = false

    func run() async throws {
        try await CLIRuntime.withContext(.inventory) { app in
            guard let preview = await app.engine.preview(secretName: secret, leaked: leaked) else {
                let hint = app.inventory.closestName(to: secret).map { " Did you mean '\($0)'?" } ?? ""
                CLIRuntime.printError("aegis-rotate: unknown secret '\(secret)'.\(hint) Valid: \(app.inventory.definitions.map(\.id).joined(separator: ", "))")
                throw ExitCodes.notFound
            }
            printSafe(InventoryMessages.plan(preview.plan, preview.definition, missing: preview.missing))
            // So a script can gate on readiness: `aegis-rotate plan okta && …`.
            if !preview.missing.isEmpty { throw ExitCodes.notRunnable }
        }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Open rotations, or one rotation's checklist.")

    @Argument(help: "Rotation ID, e.g. R-3.") var id: String?

    func run() async throws {
        try await CLIRuntime.withContext(.readState) { app in
            if let id {
                guard let parsed = RotationID(parsing: id), let snapshot = try await app.engine.snapshot(id: parsed) else {
                    CLIRuntime.printError("aegis-rotate: there is no rotation \(id)")
                    throw ExitCodes.notFound
                }
                printSafe(InventoryMessages.detail(snapshot))
            } else {
                printSafe(InventoryMessages.statusTable(try await app.engine.openRotations()))
            }
        }
    }
}

struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Past rotations of a secret.")

    @Argument(help: "Secret ID or alias.") var secret: String

    func run() async throws {
        try await CLIRuntime.withContext(.readState) { app in
            guard let (definition, records) = try await app.engine.history(secretName: secret) else {
                CLIRuntime.printError("aegis-rotate: unknown secret '\(secret)'")
                throw ExitCodes.notFound
            }
            printSafe(InventoryMessages.historyTable(definition, records))
        }
    }
}

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The hash-chained audit log.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the audit log's keyed chain, the newest record seen last time, and every rotation's status against its records; exit 1 naming what is wrong.")

        @Option(help: "Where to keep the newest record seen, to detect records deleted from the end (default: audit.head beside a SQLite state store). Keep it where the state store's writers cannot change it.")
        var head: String?

        func run() async throws {
            try await CLIRuntime.withContext(.readState) { app in
                let headPath = head ?? app.defaultAuditHeadPath
                let seen = headPath.flatMap(AuditHead.load)
                let (verification, newest) = try await app.engine.auditVerification(seen: seen)
                switch verification {
                case .intact(let count, let hash):
                    print("audit log intact: \(count) records, head hash \(hash)" + (seen.map { "; the head seen on \($0.seenAt) (#\($0.sequence)) is still there" } ?? ""))
                    if let headPath, let newest { try newest.save(headPath) }
                case .broken(let sequence, let reason):
                    CLIRuntime.printError("audit log TAMPERED: record #\(sequence): \(reason)")
                    throw ExitCodes.failure
                case .inconsistent(let count, let problems):
                    CLIRuntime.printError(UserText.terminal("audit log chain intact (\(count) records), but it does not prove the state store:\n"
                        + problems.map { "  - \($0)" }.joined(separator: "\n")))
                    throw ExitCodes.failure
                }
            }
        }
    }
}

/// CLI output that shows what people typed (reasons, names) escaped for the terminal.
func printSafe(_ text: String) { print(UserText.terminal(text)) }
