import Foundation
/// One verification check's outcome. `detail` is safe to post: it never holds a secret.
public struct CheckResult: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        case passed
        case failed
        /// The check has nothing to look at in this environment (the sandbox has no aegis-api).
        case notApplicable = "not-applicable"
    }

    public var title: String
    public var status: Status
    public var detail: String

    public init(title: String, status: Status, detail: String) {
        self.title = title
        self.status = status
        self.detail = detail
    }
}

/// All checks of one verification round.
public struct VerificationReport: Sendable, Hashable {
    public enum Phase: String, Sendable, Hashable {
        case rotation = "after rotation"
        case afterRollback = "after rollback"
        case afterCleanup = "after grace clean-up"
    }

    public var phase: Phase
    public var results: [CheckResult]

    public var passed: Bool { !results.contains { $0.status == .failed } }
}
