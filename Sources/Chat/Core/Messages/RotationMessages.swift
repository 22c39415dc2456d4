import AegisCore
import Foundation

/// Renders the core's rotations as chat messages. Everything here comes from records that hold
/// version IDs and names, never a secret value.
public enum RotationMessages {
    /// The request message: who, what, why, until when, the plan as a checklist, and the buttons
    /// while a decision is open. Updated in place as the rotation runs.
    public static func request(_ snapshot: RotationSnapshot, approverGroup: String) -> ChatMessage {
        let record = snapshot.record
        var blocks: [ChatBlock] = [.header("Rotation \(record.id): \(record.secretID)")]
        var facts = ["*Requested by* \(record.requester)", "*Reason* \(record.reason.isEmpty ? "—" : UserText.mark(record.reason))",
                     "*Status* \(record.status.label)", "*Expires* \(Format.time(record.expiresAt))"]
        if let decidedBy = record.decidedBy { facts.append("*Decided by* \(decidedBy)") }
        blocks.append(.fields(facts))
        if record.leaked {
            blocks.append(.section("⚠️ *Leak response (Runbook 02)*: no grace period; the old credential is revoked as soon as the new one verifies."))
        }
        blocks.append(.section(checklist(snapshot)))
        if record.status == .awaitingApproval {
            blocks.append(.context("A member of #\(approverGroup) other than \(record.requester) must approve before \(Format.time(record.expiresAt))."))
            blocks.append(.actions(decisionButtons(record.id.rawValue)))
        }
        let text = "Rotation \(record.id) of \(record.secretID) requested by \(record.requester): \(record.status.label)"
        return ChatMessage(text: text, blocks: blocks).limited()
    }

    public static func decisionButtons(_ id: String) -> [ChatButton] {
        [ChatButton(text: "Approve", actionID: "approve", value: id, style: .primary),
         ChatButton(text: "Deny", actionID: "deny", value: id, style: .danger)]
    }

    /// The plan as a checklist: pending / running / done / failed, with durations.
    public static func checklist(_ snapshot: RotationSnapshot) -> String {
        let total = snapshot.record.plan.steps.count
        return snapshot.record.plan.steps.map { step in
            let record = snapshot.steps.first { $0.index == step.index }
            let status = record?.status ?? .pending
            let duration = record?.duration.map { " (\(Format.seconds($0)))" } ?? ""
            return "\(status.symbol) \(step.index + 1)/\(total) `\(step.name)` \(step.title)\(duration)"
        }.joined(separator: "\n")
    }

    public static func announcement(_ snapshot: RotationSnapshot, approverGroup: String) -> ChatMessage {
        let record = snapshot.record
        let leak = record.leaked ? " ⚠️ *LEAK RESPONSE*" : ""
        let text = "\(record.requester) asks to rotate *\(record.secretID)* (\(record.id)) in #\(record.origin.channel)\(leak). Reason: \(record.reason.isEmpty ? "—" : UserText.mark(record.reason)). Needs one approval from #\(approverGroup) before \(Format.time(record.expiresAt))."
        return ChatMessage(text: text, blocks: [.section(text), .section(checklist(snapshot)), .actions(decisionButtons(record.id.rawValue))]).limited()
    }

    public static func decision(_ snapshot: RotationSnapshot) -> ChatMessage {
        let record = snapshot.record
        let who = record.decidedBy ?? "aegis-rotate"
        switch record.status {
        case .approved, .running: return .plain("✅ Approved by \(who). Running \(record.plan.steps.count) steps.")
        case .denied: return .plain("⛔ Denied by \(who). Nothing was changed.")
        case .cancelled: return .plain("Cancelled by \(who). Nothing was changed.")
        case .expired: return .plain("⌛ \(record.id) expired at \(Format.time(record.expiresAt)) without approval. Nothing was changed; request it again with `/rotate \(record.secretID)`.")
        default: return .plain("\(record.id) is \(record.status.label).")
        }
    }

    /// One thread line per step, when it ends (done, failed or rolled back).
    public static func stepLine(_ snapshot: RotationSnapshot, index: Int) -> ChatMessage? {
        guard let step = snapshot.steps.first(where: { $0.index == index }), index < snapshot.record.plan.steps.count else { return nil }
        let total = snapshot.record.plan.steps.count
        let head = "\(step.status.symbol) Step \(index + 1)/\(total) `\(step.name)`"
        let duration = step.duration.map { " (\(Format.seconds($0)))" } ?? ""
        switch step.status {
        case .done: return .plain("\(head)\(duration): \(step.summary ?? "done")")
        case .failed: return .plain("\(head) failed\(duration): \(step.error ?? "unknown error")")
        case .rolledBack: return .plain("\(head) rolled back")
        case .rollbackFailed: return .plain("\(head) could NOT be rolled back: \(step.error ?? "unknown error")")
        case .pending, .running: return nil
        }
    }

    /// Asks the requester for the new key: the modal button, or staging it in the store themselves.
    public static func keyRequest(_ snapshot: RotationSnapshot, _ request: KeyRequest) -> ChatMessage {
        let record = snapshot.record
        var text = "🔑 \(record.requester): \(request.prompt)"
        if let console = request.consoleURL { text += "\nCreate it at \(console)." }
        text += "\n*Either* press *Provide the new key* (a private form; the key goes straight to the secret store and is checked before use)"
        if let command = request.stageCommand {
            text += ", *or*, without it ever touching Slack, stage it yourself and I will pick it up:\n`\(command)`"
        }
        return ChatMessage(text: "\(record.id) needs the new key from \(record.requester)", blocks: [
            .section(text),
            .actions([ChatButton(text: "Provide the new key", actionID: "provide-key", value: record.id.rawValue, style: .primary)]),
        ]).limited()
    }

    public static func verification(_ report: VerificationReport, rotationID: RotationID) -> ChatMessage {
        let verdict = report.passed ? "passed" : "FAILED"
        let lines = report.results.map { result -> String in
            let mark = switch result.status { case .passed: "✓"; case .failed: "✗"; case .notApplicable: "–" }
            return "\(mark) \(result.title): \(result.detail)"
        }
        let title = "Verification \(report.phase.rawValue) (\(rotationID)): \(verdict)"
        return ChatMessage(text: title, blocks: [.section("*\(title)*"), .section(lines.joined(separator: "\n"))]).limited()
    }

    public static func finished(_ snapshot: RotationSnapshot) -> ChatMessage {
        let record = snapshot.record
        switch record.status {
        case .completed:
            let versions = "current = \(record.facts[FactKey.newVersion] ?? "?"), previous = \(record.facts[FactKey.oldVersion] ?? "?")"
            let grace = record.plan.grace.map { $0 == .zero ? " Old key already removed." : " Old key kept for the \(DurationText.format($0)) grace period (see its step), then removed." } ?? ""
            return .plain("🎉 \(record.id) completed: \(record.secretID) \(versions).\(grace)")
        case .rolledBack:
            return .plain("↺ \(record.id) rolled back: \(record.failure ?? "failed"). The previous secret is live again; #platform-support has been told.")
        case .failed:
            return .plain("‼️ \(record.id) FAILED and could not be fully rolled back: \(record.failure ?? "failed"). #platform-support has been paged.")
        default:
            return .plain("\(record.id) is \(record.status.label).")
        }
    }

    public static func escalation(_ escalation: Escalation, channel: String) -> ChatMessage {
        let text = """
        🚨 *\(escalation.rotationID) (\(escalation.secretID)) needs attention* (thread in #\(channel))
        *What failed:* \(escalation.whatFailed)
        *What was restored:*
        \(escalation.whatWasRestored.map { "• \($0)" }.joined(separator: "\n"))
        *Runbook action:* \(escalation.action)
        On it? `/rotate ack \(escalation.rotationID)`; fixed? `/rotate resolve \(escalation.rotationID)` (approvers).
        """
        return ChatMessage(text: "Escalation: \(escalation.rotationID) \(escalation.secretID)", blocks: [.section(text)]).limited()
    }

    /// "✅ R-3's escalation was resolved by bob." (or acknowledged; or resolved by a later rotation)
    public static func escalationHandled(_ snapshot: RotationSnapshot, _ handling: EscalationHandling) -> String {
        let record = snapshot.record
        if let later = handling.resolvedByRotation {
            return "✅ \(record.id)'s escalation (\(record.secretID)) is resolved: \(later) rotated the secret successfully."
        }
        let symbol = handling.response == .resolved ? "✅" : "👀"
        return "\(symbol) \(record.id)'s escalation (\(record.secretID)) was \(handling.response.rawValue) by \(handling.by)."
    }

    public static func incident(_ snapshot: RotationSnapshot) -> ChatMessage {
        let record = snapshot.record
        let text = "🚨 *Incident: leaked credential* — \(record.secretID) reported leaked by \(record.requester) (\(record.id), #\(record.origin.channel)). Following Runbook 02 (leak response): rotate with no grace period, revoke the old credential as soon as the new one verifies. A second approver is still required."
        return ChatMessage(text: "Incident: \(record.secretID) leaked", blocks: [.section(text)]).limited()
    }

    public static func stalled(rotationID: RotationID, attempts: Int, problem: String) -> ChatMessage {
        .plain("⚠️ \(rotationID) is stalled: the state store failed \(attempts) times in a row (\(problem)). The bot keeps retrying with backoff; nothing runs until the store answers. Check the state store (disk, locks, AEGIS_STATE_URL).")
    }

    public static func overdue(_ items: [DueItem]) -> ChatMessage {
        let lines = items.map { "• *\($0.secretID)* (every \($0.every)) was due \($0.nextDue.map(Format.time) ?? "?")" }
        let text = "⏰ Overdue secrets:\n" + lines.joined(separator: "\n") + "\nRotate with `/rotate <secret>`."
        return ChatMessage(text: "Overdue secrets: \(items.map(\.secretID).joined(separator: ", "))", blocks: [.section(text)]).limited()
    }
}
