/// A rotation stopped because this process is shutting down (its task was cancelled), not because
/// anything failed. Nothing is recorded as failed and nothing is rolled back: the step in progress
/// stays `running` in the state store, exactly as a crash would leave it, and the next start
/// resumes it (steps are idempotent) or finishes the rollback it was in.
public struct RotationInterrupted: Error, CustomStringConvertible, Sendable {
    public let rotationID: RotationID
    public let during: String

    public var description: String { "\(rotationID) interrupted by shutdown during \(during); it resumes at the next start" }
}
