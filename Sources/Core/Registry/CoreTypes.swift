import Foundation

/// The generic steps and checks the core runs by itself, through the store and deploy-target
/// protocols: no provider or cloud vocabulary. Every provider's types come from its own module.
enum CoreTypes {
    static let materialFormats: Set<String> = ["jwt-hs256", "jwt-rs256", "random-base64", "alphanumeric"]
    static let configSources: Set<String> = ["new", "old"]
    static let deployAndCluster = "the secret store and KUBECONFIG (or the in-cluster service account)"

    static func declare(into catalog: inout TypeCatalog) {
        for type in steps { catalog.register(type) }
        for type in checks { catalog.register(type) }
    }

    static var steps: [StepType] {
        [
            StepType(name: .generate, headline: "Generate the new value and stage it as pending",
                     parameters: ParameterSchema(allowed: ["bytes", "length"], required: ["format"]),
                     needs: deployAndCluster, validate: validateGenerate,
                     title: { step, context in "Generate a new \(materialName(step)) and stage it as pending in \(context.storeName)" }),
            StepType(name: .deployConfig, headline: "Deploy the config",
                     parameters: ParameterSchema(allowed: ["set", "remove"]), needs: deployAndCluster,
                     validate: validateDeployConfig,
                     title: { step, context in
                         let set = step.map("set").sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                         let removed = step.list("remove").map { "-\($0)" }
                         return "Patch \(context.definition.deploy?.objectDescription ?? "?"): \((set + removed).joined(separator: ", "))"
                     }),
            StepType(name: .restart, headline: "Restart the deployment and wait for the rollout",
                     parameters: ParameterSchema(allowed: ["timeout"]), needs: deployAndCluster,
                     validate: { step, definition throws(ParameterProblem) in
                         try requireDeploy(definition, "a restart step")
                         try ParameterRules.duration(step, "timeout")
                     },
                     title: { _, context in
                         let deploy = context.definition.deploy
                         return "Rollout restart deployment/\(deploy?.deployment ?? "?") in \(deploy?.namespace ?? "?") and wait"
                     }),
            StepType(name: .verify, headline: "Verify", needs: deployAndCluster,
                     title: { _, context in "Verify: \(context.definition.checks.map(\.title).joined(separator: "; "))" }),
            StepType(name: .promote, headline: "Promote the new version to current", needs: deployAndCluster,
                     title: { _, context in "Promote the new version to current in \(context.storeName) (old becomes previous)" }),
            StepType(name: .graceCleanup, headline: "Remove the old key after the grace period",
                     parameters: ParameterSchema(required: ["remove"]), needs: deployAndCluster, waitsOutGrace: true,
                     validate: { _, definition throws(ParameterProblem) in
                         try requireDeploy(definition, "a grace-cleanup step")
                         guard definition.grace != nil else { throw ParameterProblem(key: "kind", "a grace-cleanup step needs 'grace' at the top of the file") }
                     },
                     title: { step, context in
                         let wait = context.leaked ? "at once (leak response: no grace)" : "after \(context.graceText ?? "?")"
                         return "Remove \(step.list("remove").joined(separator: ", ")) \(wait), restart"
                     }),
            StepType(name: .notify, headline: "Tell people what to update",
                     parameters: ParameterSchema(required: ["text"]), needs: deployAndCluster,
                     title: { step, _ in "Post: \(step.text("text") ?? "")" }),
            StepType(name: .awaitProvidedKey, headline: "Receive the new key from the requester",
                     parameters: ParameterSchema(allowed: ["prompt", "console_url", "stage_command"]),
                     needs: "the Slack bot (SLACK_APP_TOKEN, SLACK_BOT_TOKEN) for the key modal, or a value staged as pending in the secret store"),
        ]
    }

    static var checks: [CheckType] {
        [
            CheckType(name: .deployedConfig, parameters: ParameterSchema(required: ["key"]), needs: deployAndCluster,
                      title: { "config \($0["key"] ?? "?") holds the current version" }),
            CheckType(name: .jwtRoundtrip, parameters: ParameterSchema(allowed: ["verify_keys"], required: ["signing_key"]),
                      needs: deployAndCluster, title: { _ in "tokens verify by kid" }),
            CheckType(name: .storeReadback, needs: "the secret store", title: { _ in "store returns the current version" }),
        ]
    }

    static func validateGenerate(_ step: StepDefinition, _ definition: SecretDefinition) throws(ParameterProblem) {
        let format = step.text("format") ?? ""
        guard materialFormats.contains(format) else {
            throw ParameterProblem(key: "format", "unknown format '\(format)'; known: \(materialFormats.sorted().joined(separator: ", "))")
        }
        // The strength floor of each format: a secret shorter than this is refused at load.
        try ParameterRules.integer(step, "bytes", in: 32...4_096)
        try ParameterRules.integer(step, "length", in: 20...1_024)
    }

    static func validateDeployConfig(_ step: StepDefinition, _ definition: SecretDefinition) throws(ParameterProblem) {
        try requireDeploy(definition, "a deploy-config step")
        for (key, source) in step.map("set") where !configSources.contains(source) {
            throw ParameterProblem(key: "set.\(key)", "'\(source)' is not a source; use 'new' or 'old'")
        }
        if step.map("set").isEmpty && step.list("remove").isEmpty {
            throw ParameterProblem(key: "set", "a deploy-config step must set or remove at least one key")
        }
    }

    static func requireDeploy(_ definition: SecretDefinition, _ what: String) throws(ParameterProblem) {
        guard definition.deploy != nil else { throw ParameterProblem(key: "kind", "\(what) needs a 'deploy' section") }
    }

    static func materialName(_ step: StepDefinition) -> String {
        switch step.text("format") {
        case "jwt-hs256": "HS256 key (64 random bytes)"
        case "jwt-rs256": "RS256 key pair (RSA-2048)"
        case "random-base64": "\(step.text("bytes") ?? "64")-byte random secret"
        case "alphanumeric": "\(step.text("length") ?? "32")-character password"
        default: "value"
        }
    }
}

/// Rules modules reuse for their parameters.
public enum ParameterRules {
    /// A duration parameter, when present, parses ("30s", "10m").
    public static func duration(_ step: StepDefinition, _ key: String) throws(ParameterProblem) {
        guard let text = step.text(key) else { return }
        do { _ = try DurationText.parse(text) } catch { throw ParameterProblem(key: key, error.description) }
    }

    /// A whole-number parameter, when present, lies in `range`.
    public static func integer(_ step: StepDefinition, _ key: String, in range: ClosedRange<Int>) throws(ParameterProblem) {
        guard let text = step.text(key) else { return }
        guard let value = Int(text), range.contains(value) else {
            throw ParameterProblem(key: key, "'\(text.prefix(20))' is out of range: a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
    }

    /// A parameter, when present, is one of `choices`.
    public static func oneOf(_ step: StepDefinition, _ key: String, _ choices: [String]) throws(ParameterProblem) {
        guard let text = step.text(key) else { return }
        guard choices.contains(text) else {
            throw ParameterProblem(key: key, "'\(text.prefix(40))' is not one of \(choices.joined(separator: ", "))")
        }
    }
}

extension RegisteredName where Kind == StepTypeKind {
    public static let generate: Self = "generate"
    public static let deployConfig: Self = "deploy-config"
    public static let restart: Self = "restart"
    public static let verify: Self = "verify"
    public static let promote: Self = "promote"
    public static let graceCleanup: Self = "grace-cleanup"
    public static let notify: Self = "notify"
    public static let awaitProvidedKey: Self = "await-provided-key"
}

extension RegisteredName where Kind == CheckTypeKind {
    public static let deployedConfig: Self = "deployed-config"
    public static let jwtRoundtrip: Self = "jwt-roundtrip"
    public static let storeReadback: Self = "store-readback"
}
