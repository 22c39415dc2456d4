import Foundation
/// The answer to `/rotate <secret>`.
public enum RequestOutcome: Sendable {
    case created(RotationSnapshot)
    case unknownSecret(name: String, suggestion: String?, validNames: [String])
    case alreadyOpen(RotationRecord)
    /// This environment lacks what the plan needs; each entry names the setting.
    case notReady(secretID: String, missing: [String])
}

/// The answer to a button press or a decision command.
public enum DecisionOutcome: Sendable {
    case accepted(RotationSnapshot)
    /// Refused, with a reason for the person only (ephemeral). Always audited.
    case refused(String)
}
