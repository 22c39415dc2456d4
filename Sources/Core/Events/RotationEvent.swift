import Foundation

/// A rotation with its steps, as front ends render it.
public struct RotationSnapshot: Sendable {
    public var record: RotationRecord
    public var steps: [StepRecord]
    public var definition: SecretDefinition

    public init(record: RotationRecord, steps: [StepRecord], definition: SecretDefinition) {
        self.record = record
        self.steps = steps
        self.definition = definition
    }
}

/// What the core tells chat front ends. Each case maps to messages: the request message (updated
/// in place as a checklist), thread lines, the approver-channel announcement, escalations.
public enum RotationEvent: Sendable {
    /// A request was made: post it with Approve/Deny where it was typed, announce it to approvers.
    case requested(RotationSnapshot)
    /// Approved, denied, cancelled or expired (see the record's status and `decidedBy`).
    case decided(RotationSnapshot)
    /// A step started, finished or failed: update the checklist, post a thread line.
    case stepChanged(RotationSnapshot, stepIndex: Int)
    /// Verification results, posted as their own message.
    case verification(RotationSnapshot, VerificationReport)
    /// A step's note for people (what to update by hand).
    case note(RotationSnapshot, String)
    /// The requester must hand over the new key: a modal button, or staging it in the store.
    case keyRequested(RotationSnapshot, KeyRequest)
    /// A rollback began because of `reason`.
    case rollbackStarted(RotationSnapshot, reason: String)
    /// The rotation reached a final state; rollbacks and failures carry an escalation.
    case finished(RotationSnapshot, escalation: Escalation?)
    /// The old key was removed after the grace period (or the removal failed and escalates).
    case graceCleanup(RotationSnapshot, summary: String, escalation: Escalation?)
    /// `--leaked`: the incident notice for the approver and escalation channels (Runbook 02).
    case incident(RotationSnapshot)
    /// Secrets past their rotation date, for the escalation channel.
    case overdue([DueItem])
    /// The state store keeps failing while a rotation needs driving; the engine keeps retrying,
    /// and says so to the escalation channel (no snapshot: the store could not be read).
    case stalled(rotationID: RotationID, attempts: Int, problem: String)
    /// Someone acknowledged or resolved the rotation's escalation (or a later rotation resolved it).
    case escalationHandled(RotationSnapshot, EscalationHandling)
}

/// What `#platform-support` needs to act.
public struct Escalation: Sendable, Hashable {
    public var rotationID: RotationID
    public var secretID: String
    public var whatFailed: String
    public var whatWasRestored: [String]
    /// The runbook's escalation action for this secret.
    public var action: String

    public init(rotationID: RotationID, secretID: String, whatFailed: String, whatWasRestored: [String], action: String) {
        self.rotationID = rotationID
        self.secretID = secretID
        self.whatFailed = whatFailed
        self.whatWasRestored = whatWasRestored
        self.action = action
    }
}

/// Where chat front ends receive events.
public protocol RotationEventSink: Sendable {
    func publish(_ event: RotationEvent) async
}

/// Fans events out to several sinks (e.g. the chat presenter and a metrics recorder).
public struct BroadcastEventSink: RotationEventSink {
    let sinks: [any RotationEventSink]
    public init(_ sinks: [any RotationEventSink]) { self.sinks = sinks }
    public func publish(_ event: RotationEvent) async {
        for sink in sinks { await sink.publish(event) }
    }
}
