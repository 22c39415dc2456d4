import AegisChat
import AegisCore
import AegisTestServers
import Foundation
import Testing

/// `/rotate list`, `due` and `help` over 1,000 secrets fit one Block Kit section (3,000
/// characters), so Slack shows them whole instead of cutting a table in half.
@Suite("chat summaries of a large inventory")
struct ChatSummaryTests {
    static func thousandSecrets() throws -> Inventory {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-scale-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: repositoryCommands, to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let existing = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.count
        // Long IDs and two aliases each, so the tables are as wide as real ones get.
        try GeneratedCommands.write(try GeneratedCommands.jwtCopies(1...(1_000 - existing), id: { "generated-secret-with-a-long-name-\($0)" },
                                                                   aliases: { ["g\($0)", "generated-\($0)"] }), to: folder)
        return try InventoryLoader.load(directory: folder)
    }

    @Test("list, due and help over 1,000 secrets: counts, the first or most urgent rows, a pointer to the CLI, under 3,000 characters")
    func aThousandSecretsFitOneSection() throws {
        let inventory = try Self.thousandSecrets()
        #expect(inventory.definitions.count == 1_000)
        let list = InventoryMessages.chatList(inventory)
        #expect(list.hasPrefix("1000 secrets; the first 15:") && list.hasSuffix("`aegis-rotate list` prints them all."))
        let help = InventoryMessages.chatHelp(inventory)
        #expect(help.hasSuffix("… and 975 more: `/rotate list`."))

        let now = Date()
        let statuses: [DueItem.Status] = [.ok, .dueSoon, .overdue, .unknown]
        let items = inventory.definitions.enumerated().map { index, definition in
            DueItem(secretID: definition.id, every: "90d", lastRotated: now.addingTimeInterval(-Double(index) * 3_600),
                    nextDue: now.addingTimeInterval(Double(index) * 3_600), status: statuses[index % 4],
                    note: index % 4 == 3 ? String(repeating: "the store did not answer in time ", count: 5) : nil)
        }
        let due = InventoryMessages.chatDue(items)
        #expect(due.hasPrefix("1000 secrets: 250 overdue, 250 unknown, 250 due-soon, 250 ok. The 15 most urgent:"))
        let shown = due.split(separator: "\n").compactMap { line in items.first { line.hasPrefix($0.secretID + " ") } }
        #expect(shown.count == 15)
        #expect(shown.allSatisfy { $0.status == .overdue }, "overdue secrets come first")

        for (name, text) in [("list", list), ("help", help), ("due", due)] {
            #expect(text.count < 3_000, "\(name) is \(text.count) characters")
            #expect(ChatMessage.plain(text).limited() == ChatMessage.plain(text), "\(name) would be clipped")
        }
    }
}
