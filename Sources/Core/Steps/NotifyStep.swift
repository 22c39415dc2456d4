import Foundation
/// `notify`: posts the Commands file's text in the thread (what developers update by hand).
public struct NotifyStep: StepExecutor {
    public init() {}

    public func run(_ context: StepContext) async throws -> String {
        let text = context.step.definition.text("text") ?? ""
        await context.announce(.note(text))
        return "posted: \(text)"
    }

    public func rollback(_ context: StepContext) async throws -> String? { nil }
}
