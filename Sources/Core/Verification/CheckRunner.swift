import Foundation
import Logging

/// What a check may look at. `expectedCurrentVersion` is the version that should be live: the new
/// one after a rotation, the old one after a rollback.
public struct CheckContext: Sendable {
    public var definition: SecretDefinition
    public var store: any SecretStore
    public var target: (any DeployTarget)?
    public var expectedCurrentVersion: String
    public var settings: RotationSettings
    public var logger: Logger

    public init(definition: SecretDefinition, store: any SecretStore, target: (any DeployTarget)?,
                expectedCurrentVersion: String, settings: RotationSettings, logger: Logger) {
        self.definition = definition
        self.store = store
        self.target = target
        self.expectedCurrentVersion = expectedCurrentVersion
        self.settings = settings
        self.logger = logger
    }
}

/// Runs one kind of verification check. Never throws: a failure is a result with a reason.
public protocol CheckRunner: Sendable {
    func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult
}

/// The check runners available in this process, by kind.
public struct CheckRegistry: Sendable {
    public var runners: [CheckDefinition.Kind: any CheckRunner]

    public init(runners: [CheckDefinition.Kind: any CheckRunner]) { self.runners = runners }

    public func run(_ checks: [CheckDefinition], context: CheckContext, phase: VerificationReport.Phase) async -> VerificationReport {
        var results: [CheckResult] = []
        for check in checks {
            guard let runner = runners[check.kind] else {
                results.append(CheckResult(title: check.title, status: .failed, detail: "no runner for '\(check.kind.rawValue)' in this build"))
                continue
            }
            results.append(await runner.run(check, context: context))
        }
        return VerificationReport(phase: phase, results: results)
    }
}
