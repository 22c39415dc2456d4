import Foundation
/// `verify`: run the Commands file's checks against the new version and post the results.
public struct VerifyStep: StepExecutor {
    public init() {}

    public func run(_ context: StepContext) async throws -> String {
        let expected = try context.requireFact(FactKey.newVersion)
        let checkContext = CheckContext(definition: context.definition, store: context.store, target: context.target,
                                        expectedCurrentVersion: expected, settings: context.settings, logger: context.logger)
        let report = await context.checks.run(context.definition.checks, context: checkContext, phase: .rotation)
        await context.announce(.verification(report))
        guard report.passed else { throw StepError.verificationFailed(report) }
        let passed = report.results.filter { $0.status == .passed }.count
        return "\(passed) of \(report.results.count) checks passed" +
            (report.results.count > passed ? ", \(report.results.count - passed) not applicable here" : "")
    }

    public func rollback(_ context: StepContext) async throws -> String? { nil }
}
