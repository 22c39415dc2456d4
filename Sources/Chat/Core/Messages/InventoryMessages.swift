import AegisCore
import Foundation

/// Tables and answers for `list`, `due`, `status`, `history`, `plan` and `help`, shared by chat and the CLI.
public enum InventoryMessages {
    /// `/rotate help`: the commands, then what can be rotated (id and aliases), so the reply
    /// alone teaches a person the names to type.
    public static func help(_ inventory: Inventory) -> String {
        let secrets = inventory.definitions.map { definition in
            "• `\(definition.id)`" + (definition.aliases.isEmpty ? "" : " (" + definition.aliases.map { "`\($0)`" }.joined(separator: ", ") + ")")
        }
        return RotateCommand.helpText + "\n\nSecrets you can rotate (id, then aliases):\n" + secrets.joined(separator: "\n")
    }

    public static func listTable(_ inventory: Inventory) -> String {
        Format.table(["SECRET", "ALIASES", "STORAGE", "EVERY", "AUTO-ROTATION", "STRATEGY"], inventory.definitions.map {
            [$0.id, $0.aliases.joined(separator: ","), $0.storage.displayName, DurationText.format($0.every),
             $0.autoRotation ?? "no", $0.strategy]
        })
    }

    public static func dueTable(_ items: [DueItem]) -> String {
        Format.table(["SECRET", "EVERY", "LAST ROTATED", "NEXT DUE", "STATUS"], items.map {
            [$0.secretID, $0.every, $0.lastRotated.map(Format.time) ?? "unknown", $0.nextDue.map(Format.time) ?? "unknown",
             $0.status.rawValue + ($0.note.map { " (\($0))" } ?? "")]
        })
    }

    public static func statusTable(_ snapshots: [RotationSnapshot]) -> String {
        guard !snapshots.isEmpty else { return "No open rotations." }
        return Format.table(["ID", "SECRET", "STATUS", "REQUESTER", "APPROVER", "STEP"], snapshots.map { snapshot in
            let record = snapshot.record
            let running = snapshot.steps.first { $0.status == .running }.map { "\($0.index + 1)/\(record.plan.steps.count) \($0.name)" } ?? "-"
            return [record.id.rawValue, record.secretID, record.status.label, record.requester, record.decidedBy ?? "-", running]
        })
    }

    public static func detail(_ snapshot: RotationSnapshot) -> String {
        let record = snapshot.record
        var lines = ["\(record.id) \(record.secretID): \(record.status.label)",
                     "requested by \(record.requester) at \(Format.time(record.requestedAt)); reason: \(record.reason.isEmpty ? "—" : UserText.mark(record.reason))"]
        if let decidedBy = record.decidedBy { lines.append("decided by \(decidedBy)") }
        if let failure = record.failure { lines.append("failure: \(failure)") }
        if let new = record.facts[FactKey.newVersion] { lines.append("new version \(new), old version \(record.facts[FactKey.oldVersion] ?? "?")") }
        lines.append(RotationMessages.checklist(snapshot))
        return lines.joined(separator: "\n")
    }

    public static func historyTable(_ definition: SecretDefinition, _ records: [RotationRecord]) -> String {
        guard !records.isEmpty else { return "\(definition.id) has no rotations yet." }
        return Format.table(["ID", "REQUESTED", "BY", "APPROVED BY", "OUTCOME", "NEW VERSION"], records.map {
            [$0.id.rawValue, Format.time($0.requestedAt), $0.requester, $0.decidedBy ?? "-", $0.status.label + ($0.failure.map { ": \($0)" } ?? ""),
             $0.facts[FactKey.newVersion] ?? "-"]
        })
    }

    public static func plan(_ plan: RotationPlan, _ definition: SecretDefinition, missing: [String]) -> String {
        var lines = ["Plan for \(definition.id) (\(definition.title)), strategy \(plan.strategy), environment \(plan.environment):"]
        lines += plan.steps.map { "  \($0.index + 1). [\($0.kind.rawValue)] \($0.name): \($0.title)" }
        lines.append("Checks: " + (plan.checks.isEmpty ? "none" : plan.checks.map(\.title).joined(separator: "; ")))
        lines.append("Grace: " + (plan.grace.map(DurationText.format) ?? "none"))
        lines.append("Escalation: \(definition.escalation)")
        if !missing.isEmpty { lines.append("Not ready here:\n" + missing.map { "  - \($0)" }.joined(separator: "\n")) }
        return lines.joined(separator: "\n")
    }
}
