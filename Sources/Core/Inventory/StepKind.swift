import Foundation
/// Every kind of step a Commands file may name. Adding a secret is adding a file as long as its
/// step kinds are here; a kind a file names that is not here is a load error.
public enum StepKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// Make the new value in the bot and stage it as `pending` in the secret store.
    case generate
    /// Write keys of the deploy target's config (the configmap) from the new or old version.
    case deployConfig = "deploy-config"
    /// `rollout restart` the deployment and wait for the rollout to finish.
    case restart
    /// Run the file's verification checks.
    case verify
    /// Make the new version `current` in the store (the old one becomes `previous`).
    case promote
    /// After the grace period, remove the old key from the config and restart, on a durable timer.
    case graceCleanup = "grace-cleanup"
    /// Post a note in the thread (what people must do by hand).
    case notify
    /// A human supplies the new key: Slack modal, or staged in the store by the operator.
    case awaitProvidedKey = "await-provided-key"
    /// Check a new key against its provider before it is promoted.
    case providerCheck = "provider-check"
    /// Revoke (or deactivate) the old key at the provider.
    case revokeOldKey = "revoke-old-key"
    /// Let the store rotate it (Secrets Manager RotateSecret) and follow the version stages.
    case awsManagedRotation = "aws-managed-rotation"
    /// `ALTER ROLE … PASSWORD` with a SCRAM-SHA-256 verifier.
    case alterRolePassword = "alter-role-password"
    /// Redis ACL second password (or requirepass).
    case redisPassword = "redis-password"
    /// IAM CreateAccessKey / deactivate / delete.
    case iamAccessKey = "iam-access-key"
    /// Microsoft Graph addPassword / removePassword.
    case entraClientSecret = "entra-client-secret"

    /// Parameter keys a step of this kind accepts beside `kind` and `name`.
    public var allowedParameters: Set<String> {
        switch self {
        case .generate: ["format", "bytes", "length"]
        case .deployConfig: ["set", "remove"]
        case .restart: ["timeout"]
        case .verify, .promote: []
        case .graceCleanup: ["remove"]
        case .notify: ["text"]
        case .awaitProvidedKey: ["prompt", "console_url", "stage_command"]
        case .providerCheck: ["provider"]
        case .revokeOldKey: ["provider", "mode"]
        case .awsManagedRotation: ["timeout"]
        case .alterRolePassword: ["role"]
        case .redisPassword: ["user", "mode", "phase"]
        case .iamAccessKey: ["user", "phase"]
        case .entraClientSecret: ["application_id", "display_name", "phase"]
        }
    }

    /// Parameter keys a step of this kind must have.
    public var requiredParameters: Set<String> {
        switch self {
        case .generate: ["format"]
        case .notify: ["text"]
        case .providerCheck, .revokeOldKey: ["provider"]
        case .graceCleanup: ["remove"]
        default: []
        }
    }

    /// What a person reads in the plan and the checklist.
    public var headline: String {
        switch self {
        case .generate: "Generate the new value and stage it as pending"
        case .deployConfig: "Deploy the config"
        case .restart: "Restart the deployment and wait for the rollout"
        case .verify: "Verify"
        case .promote: "Promote the new version to current"
        case .graceCleanup: "Remove the old key after the grace period"
        case .notify: "Tell people what to update"
        case .awaitProvidedKey: "Receive the new key from the requester"
        case .providerCheck: "Check the new key against the provider"
        case .revokeOldKey: "Revoke the old key at the provider"
        case .awsManagedRotation: "Rotate in the store and follow the version stages"
        case .alterRolePassword: "Change the database role's password"
        case .redisPassword: "Add the new Redis password"
        case .iamAccessKey: "Create the new IAM access key"
        case .entraClientSecret: "Add a new Entra client secret"
        }
    }
}

/// One step of a strategy, as written in a Commands file.
public struct StepDefinition: Sendable, Codable, Hashable {
    public var name: String
    public var kind: StepKind
    public var parameters: [String: StepParameter]
    /// The line of the Commands file the step starts on, for messages.
    public var line: Int

    public init(name: String, kind: StepKind, parameters: [String: StepParameter] = [:], line: Int = 0) {
        self.name = name
        self.kind = kind
        self.parameters = parameters
        self.line = line
    }

    public func text(_ key: String) -> String? {
        if case .text(let value) = parameters[key] { return value }
        return nil
    }

    public func list(_ key: String) -> [String] {
        switch parameters[key] {
        case .list(let values): values
        case .text(let value): [value]
        default: []
        }
    }

    public func map(_ key: String) -> [String: String] {
        if case .map(let values) = parameters[key] { return values }
        return [:]
    }
}

/// A step parameter: a scalar, a list of scalars, or a flat mapping.
public enum StepParameter: Sendable, Codable, Hashable {
    case text(String)
    case list([String])
    case map([String: String])
}
