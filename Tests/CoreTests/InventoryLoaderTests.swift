@testable import AegisCore
import AegisAzure
import AegisOnePassword
import AegisTestServers
import Foundation
import Testing

@Suite("Inventory loader")
struct InventoryLoaderTests {
    @Test("all nine Commands files load with the runbook's names")
    func loadsRepositoryInventory() throws {
        let inventory = try InventoryLoader.load(directory: repositoryCommands)
        #expect(inventory.definitions.map(\.id) == [
            "anthropic-api-key", "aws-iam-access-keys", "dev-jwt-secret", "entra-client-secret", "jwt-signing-key",
            "okta-api-token", "openai-api-key", "postgres-password", "redis-auth-token",
        ])
        let jwt = try #require(inventory.definition(named: "JWT"))
        #expect(jwt.id == "jwt-signing-key")
        #expect(jwt.storage.name == "aegis/jwt-signing-key")
        #expect(jwt.every == .seconds(90 * 86_400))
        #expect(jwt.grace == .seconds(86_400))
        #expect(jwt.deploy == DeployLocation(namespace: "aegis", deployment: "aegis-api", configMap: "aegis-config"))
        #expect(Set(jwt.strategies.keys) == ["single-rollout", "verify-first"])
        #expect(inventory.definition(named: "db")?.id == "postgres-password")
        #expect(inventory.definition(named: "iam")?.id == "aws-iam-access-keys")
        #expect(inventory.definition(named: "entra")?.storage == StorageLocation(kind: .azureKeyVault, name: "entra-client-secret", container: "aegis-kv"))
        #expect(inventory.definition(named: "dev-jwt")?.storage.kind == .onePassword)
        #expect(inventory.definition(named: "anthropic")?.every == .seconds(180 * 86_400))
        #expect(inventory.definition(named: "entra")?.every == .seconds(365 * 86_400))
    }

    @Test("closest name for a typo")
    func suggestsClosestName() throws {
        let inventory = try InventoryLoader.load(directory: repositoryCommands)
        #expect(inventory.closestName(to: "okat") == "okta-api-token")
        #expect(inventory.closestName(to: "jwtt") == "jwt-signing-key")
        #expect(inventory.closestName(to: "postgres-pasword") == "postgres-password")
        #expect(inventory.closestName(to: "zzzzzzzzzzzzzz") == nil)
    }

    static let valid = """
    id: demo-secret
    title: Demo
    every: 30d
    storage:
      kind: aws-secrets-manager
      name: aegis/demo
    deploy:
      namespace: aegis
    strategy: basic
    strategies:
      basic:
        - kind: generate
          format: jwt-hs256
        - kind: promote
    escalation: Call someone.
    """

    func parseError(_ text: String, file: String = "Commands/demo-secret.yaml") -> InventoryError? {
        do {
            _ = try InventoryLoader.parse(text, file: file)
            return nil
        } catch {
            return error
        }
    }

    @Test("a valid file parses")
    func validParses() throws {
        let definition = try InventoryLoader.parse(Self.valid, file: "Commands/demo-secret.yaml")
        #expect(definition.steps.map(\.kind) == [.generate, .promote])
    }

    @Test("deploy keys go to a ConfigMap by default, to a Secret with deploy.secret, never both")
    func deployObjectKind() throws {
        let configMap = try #require(try InventoryLoader.parse(Self.valid, file: "Commands/demo-secret.yaml").deploy)
        #expect(!configMap.holdsKeysInSecret && configMap.configMap == "aegis-config")
        let inSecret = try #require(try InventoryLoader.parse(
            Self.valid.replacingOccurrences(of: "  namespace: aegis", with: "  namespace: aegis\n  secret: aegis-keys"),
            file: "Commands/demo-secret.yaml").deploy)
        #expect(inSecret.holdsKeysInSecret && inSecret.configMap == "aegis-keys")
        #expect(inSecret.objectDescription == "secret aegis-keys")
        let error = try #require(parseError(Self.valid.replacingOccurrences(
            of: "  namespace: aegis", with: "  namespace: aegis\n  configmap: aegis-config\n  secret: aegis-keys")))
        #expect(error.key == "deploy.secret")
        #expect(error.line == 10)
        #expect(error.problem.contains("not both"))
    }

    @Test("unknown top-level key names file, line and key")
    func unknownTopLevelKey() throws {
        let error = try #require(parseError(Self.valid.replacingOccurrences(of: "every: 30d", with: "every: 30d\nfrequency: 30d")))
        #expect(error.file == "Commands/demo-secret.yaml")
        #expect(error.line == 4)
        #expect(error.key == "frequency")
        #expect(error.problem.contains("unknown key"))
    }

    @Test("unknown step kind names its line and path")
    func unknownStepKind() throws {
        let error = try #require(parseError(Self.valid.replacingOccurrences(of: "- kind: promote", with: "- kind: promot")))
        #expect(error.line == 14)
        #expect(error.key == "strategies.basic[1].kind")
        #expect(error.problem.contains("unknown step kind 'promot'"))
    }

    @Test("unknown key inside a step")
    func unknownStepKey() throws {
        let error = try #require(parseError(Self.valid.replacingOccurrences(of: "format: jwt-hs256", with: "format: jwt-hs256\n      colour: red")))
        #expect(error.line == 14)
        #expect(error.key == "strategies.basic[0].colour")
    }

    @Test("missing required field")
    func missingField() throws {
        let error = try #require(parseError(Self.valid.replacingOccurrences(of: "every: 30d\n", with: "")))
        #expect(error.key == "every")
        #expect(error.line == 1)
        #expect(error.problem.contains("required"))
    }

    @Test("missing required step parameter")
    func missingStepParameter() throws {
        let error = try #require(parseError(Self.valid.replacingOccurrences(of: "\n      format: jwt-hs256", with: "")))
        #expect(error.key == "strategies.basic[0].format")
        #expect(error.line == 12)
    }

    @Test("bad duration, bad YAML, id mismatch, unknown check kind")
    func otherProblems() throws {
        let duration = try #require(parseError(Self.valid.replacingOccurrences(of: "every: 30d", with: "every: thirty days")))
        #expect(duration.key == "every" && duration.line == 3)
        let yaml = try #require(parseError(Self.valid + "\n  - : : [unclosed"))
        #expect(yaml.key == "(syntax)")
        let mismatch = try #require(parseError(Self.valid, file: "Commands/other.yaml"))
        #expect(mismatch.key == "id" && mismatch.line == 1)
        let check = try #require(parseError(Self.valid + "\nverify:\n  - kind: telepathy\n"))
        #expect(check.key == "verify[0].kind" && check.line == 17)
    }

    @Test("a deploy-config step without a deploy section is a load error")
    func crossFieldRule() throws {
        let text = Self.valid.replacingOccurrences(of: "deploy:\n  namespace: aegis\n", with: "")
            .replacingOccurrences(of: "- kind: promote", with: "- kind: deploy-config\n      set:\n        a.key: new")
        let error = try #require(parseError(text))
        #expect(error.key == "strategies.basic[1].kind")
        #expect(error.problem.contains("deploy"))
    }

    @Test("duplicate aliases across files are reported with both files")
    func duplicateAliases() throws {
        let folder = try temporaryDirectory()
        try Self.valid.replacingOccurrences(of: "title: Demo", with: "title: Demo\naliases: [shared]")
            .write(to: folder.appendingPathComponent("demo-secret.yaml"), atomically: true, encoding: .utf8)
        try Self.valid.replacingOccurrences(of: "demo-secret", with: "other-secret")
            .replacingOccurrences(of: "title: Demo", with: "title: Other\naliases: [shared]")
            .write(to: folder.appendingPathComponent("other-secret.yaml"), atomically: true, encoding: .utf8)
        #expect {
            try InventoryLoader.load(directory: folder)
        } throws: { error in
            let errors = (error as? InventoryLoadError)?.errors ?? []
            return errors.count == 1 && errors[0].key == "aliases" && errors[0].line == 3 && errors[0].file.hasSuffix("other-secret.yaml")
                && errors[0].problem.contains("demo-secret")
        }
    }

    @Test("every broken file in a folder is reported in one run")
    func reportsAllFiles() throws {
        let folder = try temporaryDirectory()
        try "id: a\n".write(to: folder.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try "id: b\nbogus: 1\n".write(to: folder.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        #expect {
            try InventoryLoader.load(directory: folder)
        } throws: { error in
            let errors = (error as? InventoryLoadError)?.errors ?? []
            return errors.map(\.file) == ["\(folder.lastPathComponent)/a.yaml", "\(folder.lastPathComponent)/b.yaml"]
                && errors[1].key == "bogus" && errors[1].line == 2
        }
    }
}
