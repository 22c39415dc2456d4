import Foundation

/// The check runners available in this process, by type, and why a registered type has none.
public struct CheckRegistry: Sendable {
    public var runners: [CheckTypeName: any CheckRunner]
    public var problems: [CheckTypeName: String]

    public init(runners: [CheckTypeName: any CheckRunner], problems: [CheckTypeName: String] = [:]) {
        self.runners = runners
        self.problems = problems
    }

    /// Why `check` cannot run in this process, or nil when it can.
    public func problem(for check: CheckDefinition, catalog: TypeCatalog) -> String? {
        guard runners[check.kind] == nil else { return nil }
        if let problem = problems[check.kind] { return problem }
        guard let type = catalog.check(check.kind) else { return "this build does not know the check kind '\(check.kind)'" }
        return "no runner is wired for it here; it needs \(type.needs)"
    }

    public func run(_ checks: [CheckDefinition], context: CheckContext, phase: VerificationReport.Phase) async -> VerificationReport {
        var results: [CheckResult] = []
        for check in checks {
            guard let runner = runners[check.kind] else {
                results.append(CheckResult(title: check.title, status: .failed,
                                           detail: problems[check.kind] ?? "no runner for '\(check.kind)' in this build"))
                continue
            }
            results.append(await runner.run(check, context: context))
        }
        return VerificationReport(phase: phase, results: results)
    }
}
