import Foundation

/// `deployed-config`: the deploy target's config holds the expected version under `key`, and the
/// value there equals the store's value for that version.
public struct DeployedConfigCheck: CheckRunner {
    public init() {}

    public func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        let key = check.parameters["key"] ?? ""
        guard let target = context.target, let location = context.definition.deploy else {
            return CheckResult(title: check.title, status: .failed, detail: "no deploy target")
        }
        do {
            let config = try await target.readConfig(location)
            let held = DeployConfigStep.versionHeld(by: key, in: config)
            guard held == context.expectedCurrentVersion else {
                return CheckResult(title: check.title, status: .failed, detail: "holds \(held), expected \(context.expectedCurrentVersion)")
            }
            guard let deployed = config[key],
                  let stored = try await context.store.value(secret: context.definition.storage, versionID: context.expectedCurrentVersion),
                  deployed.constantTimeEquals(stored) else {
                return CheckResult(title: check.title, status: .failed, detail: "value differs from the store's version \(held)")
            }
            return CheckResult(title: check.title, status: .passed, detail: "version \(held), matches the store")
        } catch {
            return CheckResult(title: check.title, status: .failed, detail: RotationEngine.safeDescription(error))
        }
    }
}

/// `jwt-roundtrip`: a token signed with the deployed signing key verifies against the deployed key
/// set by `kid`; so does one signed with every other key in the set (tokens issued before the
/// switch keep working during the grace period).
public struct JWTRoundtripCheck: CheckRunner {
    public init() {}

    public func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        let signingKey = check.parameters["signing_key"] ?? ""
        let verifyKeys = (check.parameters["verify_keys"] ?? signingKey).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let target = context.target, let location = context.definition.deploy else {
            return CheckResult(title: check.title, status: .failed, detail: "no deploy target")
        }
        do {
            let config = try await target.readConfig(location)
            guard let signing = config[signingKey], let kid = config[ConfigKeyID.key(for: signingKey)]?.revealSecretString() else {
                return CheckResult(title: check.title, status: .failed, detail: "\(signingKey) or its id is missing from the config")
            }
            guard kid == context.expectedCurrentVersion else {
                return CheckResult(title: check.title, status: .failed, detail: "signing kid is \(kid), expected \(context.expectedCurrentVersion)")
            }
            var keySet: [String: SecretValue] = [:]
            for key in Set(verifyKeys + [signingKey]) {
                if let value = config[key], let id = config[ConfigKeyID.key(for: key)]?.revealSecretString() { keySet[id] = value }
            }
            let claims = ["sub": "aegis-rotate-verifier", "iat": "\(Int(Date().timeIntervalSince1970))"]
            guard JWTToken.verify(try JWTToken.sign(kid: kid, key: signing, claims: claims), keys: keySet) else {
                return CheckResult(title: check.title, status: .failed, detail: "a token signed with kid \(kid) does not verify")
            }
            var accepted = ["new kid \(kid) (\(JWTToken.algorithm(of: signing).rawValue))"]
            for (otherKid, otherKey) in keySet.sorted(by: { $0.key < $1.key }) where otherKid != kid {
                guard JWTToken.verify(try JWTToken.sign(kid: otherKid, key: otherKey, claims: claims), keys: keySet) else {
                    return CheckResult(title: check.title, status: .failed, detail: "a token signed with grace kid \(otherKid) does not verify")
                }
                accepted.append("grace kid \(otherKid)")
            }
            return CheckResult(title: check.title, status: .passed, detail: "verified: " + accepted.joined(separator: ", "))
        } catch {
            return CheckResult(title: check.title, status: .failed, detail: RotationEngine.safeDescription(error))
        }
    }
}

/// `store-readback`: the store's current version is the expected one and reads back non-empty.
public struct StoreReadbackCheck: CheckRunner {
    public init() {}

    public func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        do {
            let current = try await context.store.version(secret: context.definition.storage, stage: .current)
            guard current?.versionID == context.expectedCurrentVersion else {
                return CheckResult(title: check.title, status: .failed,
                                   detail: "current is \(current?.versionID ?? "nothing"), expected \(context.expectedCurrentVersion)")
            }
            guard let value = try await context.store.value(secret: context.definition.storage, versionID: context.expectedCurrentVersion),
                  !value.isEmpty else {
                return CheckResult(title: check.title, status: .failed, detail: "version \(context.expectedCurrentVersion) reads back empty")
            }
            return CheckResult(title: check.title, status: .passed, detail: "current = \(context.expectedCurrentVersion), \(value.byteCount) bytes")
        } catch {
            return CheckResult(title: check.title, status: .failed, detail: RotationEngine.safeDescription(error))
        }
    }
}

/// Checks that look at the live aegis-api (health, logs, smoke) when the sandbox has no such
/// service: reported as not applicable, with what production checks instead, never as passed.
public struct NoServiceInSandboxCheck: CheckRunner {
    public init() {}

    public func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        CheckResult(title: check.title, status: .notApplicable,
                    detail: "the local sandbox has no aegis-api; with AEGIS_ENV=production this checks it at AEGIS_API_URL")
    }
}
