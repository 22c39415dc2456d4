import AegisCore
import Foundation

/// `/rotate list`, `/rotate due` and `/rotate help` as chat replies. A reply is one Block Kit
/// section (3,000 characters), so a large inventory is summarised instead of cut mid-table: the
/// counts, the rows that matter most, and the CLI command that prints everything.
extension InventoryMessages {
    /// Rows a chat table shows before it summarises; 15 rows of the widest table stay under 3,000 characters.
    public static let chatRows = 15
    /// Secrets `/rotate help` names before it points at `/rotate list`.
    public static let helpNames = 25

    public static func chatList(_ inventory: Inventory) -> String {
        let definitions = inventory.definitions
        guard definitions.count > chatRows else { return "```\n\(listTable(inventory))\n```" }
        let shown = Inventory(definitions: Array(definitions.prefix(chatRows)))
        return "\(definitions.count) secrets; the first \(chatRows):\n```\n\(listTable(shown))\n```\n"
            + "… and \(definitions.count - chatRows) more. `aegis-rotate list` prints them all."
    }

    /// The most urgent first (overdue, unknown, due soon, then by next due date) once the report
    /// is longer than a chat table; in inventory order below that.
    public static func chatDue(_ items: [DueItem]) -> String {
        guard items.count > chatRows else { return "```\n\(dueTable(items))\n```" }
        let urgent = items.sorted { urgency($0) < urgency($1) }.prefix(chatRows).map { item -> DueItem in
            var item = item
            item.note = item.note.map { $0.count > 40 ? String($0.prefix(39)) + "…" : $0 }
            return item
        }
        let counts = [DueItem.Status.overdue, .unknown, .dueSoon, .ok].compactMap { status -> String? in
            let count = items.filter { $0.status == status }.count
            return count == 0 ? nil : "\(count) \(status.rawValue)"
        }
        return "\(items.count) secrets: \(counts.joined(separator: ", ")). The \(chatRows) most urgent:\n```\n\(dueTable(Array(urgent)))\n```\n"
            + "… and \(items.count - chatRows) more. `aegis-rotate due` prints them all."
    }

    public static func chatHelp(_ inventory: Inventory) -> String {
        let definitions = inventory.definitions
        guard definitions.count > helpNames else { return help(inventory) }
        return help(Inventory(definitions: Array(definitions.prefix(helpNames))))
            + "\n… and \(definitions.count - helpNames) more: `/rotate list`."
    }

    static func urgency(_ item: DueItem) -> (Int, Double, String) {
        let rank = switch item.status {
        case .overdue: 0
        case .unknown: 1
        case .dueSoon: 2
        case .ok: 3
        }
        return (rank, item.nextDue?.timeIntervalSince1970 ?? 0, item.secretID)
    }
}
