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
