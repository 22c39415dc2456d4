import Foundation
import Yams

/// Loads `Commands/*.yaml` into an ``Inventory``. Every problem is an ``InventoryError`` naming the
/// file, line and key; all files are read so one run reports every problem. Step, check and store
/// kinds are looked up in the ``TypeCatalog`` the adapter modules declared: their schemas and
/// rules are the only ones a file is checked against.
public enum InventoryLoader {
    static let topLevelKeys: Set<String> = [
        "id", "title", "aliases", "storage", "every", "auto_rotation", "deploy", "strategy",
        "strategies", "verify", "grace", "grace_setting", "escalation",
    ]

    public static func load(directory: URL, catalog: TypeCatalog) throws(InventoryLoadError) -> Inventory {
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { ["yaml", "yml"].contains($0.pathExtension) }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw InventoryLoadError(errors: [InventoryError(
                file: directory.path, line: 0, key: "(folder)",
                problem: "cannot read the inventory folder; set AEGIS_COMMANDS_DIR to the Commands folder")])
        }
        var definitions: [SecretDefinition] = []
        var errors: [InventoryError] = []
        for file in files {
            let display = displayPath(file, under: directory)
            do {
                let text = try String(contentsOf: file, encoding: .utf8)
                definitions.append(try parse(text, file: display, catalog: catalog))
            } catch let error as InventoryError {
                errors.append(error)
            } catch {
                errors.append(InventoryError(file: display, line: 0, key: "(file)", problem: "unreadable: \(error)"))
            }
        }
        if definitions.isEmpty && errors.isEmpty {
            errors.append(InventoryError(file: directory.path, line: 0, key: "(folder)", problem: "holds no .yaml files"))
        }
        errors += namingConflicts(definitions)
        guard errors.isEmpty else { throw InventoryLoadError(errors: errors) }
        return Inventory(definitions: definitions)
    }

    static func displayPath(_ file: URL, under directory: URL) -> String {
        "\(directory.lastPathComponent)/\(file.lastPathComponent)"
    }

    /// Parses one Commands file.
    public static func parse(_ text: String, file: String, catalog: TypeCatalog) throws(InventoryError) -> SecretDefinition {
        let root: Node
        do {
            try YAMLBounds.check(text: text)
            // `.basic`: every scalar is read as text by YAMLMappingReader, so Yams' default resolver
            // (seven NSRegularExpressions per scalar, which load ICU: ~7 MB resident) buys nothing;
            // `.utf8` given, because Yams' default encoding reads the process environment per parse.
            guard let node = try Yams.compose(yaml: text, .basic, .default, .utf8) else {
                throw InventoryError(file: file, line: 1, key: "(document)", problem: "the file is empty")
            }
            root = node
        } catch let error as InventoryError {
            throw error
        } catch let violation as YAMLBounds.Violation {
            throw InventoryError(file: file, line: violation.line, key: violation.key, problem: violation.problem)
        } catch let error as YamlError {
            throw InventoryError(file: file, line: yamlErrorLine(error), key: "(syntax)", problem: "not valid YAML: \(error)")
        } catch {
            throw InventoryError(file: file, line: 1, key: "(syntax)", problem: "not valid YAML: \(error)")
        }
        do {
            try YAMLBounds.check(root)
        } catch {
            throw InventoryError(file: file, line: error.line, key: error.key, problem: error.problem)
        }
        let reader = try YAMLMappingReader(file: file, path: "", node: root)
        try reader.rejectUnknownKeys(allowed: topLevelKeys)

        let id = try reader.requiredString("id")
        let expectedID = (file as NSString).lastPathComponent.replacingOccurrences(of: ".yaml", with: "")
            .replacingOccurrences(of: ".yml", with: "")
        guard id == expectedID else {
            throw reader.error("id", "is '\(id)' but the file is named \(expectedID).yaml; they must match", at: reader.node("id"))
        }
        let strategies = try parseStrategies(reader, catalog: catalog)
        let strategy = try reader.requiredString("strategy")
        guard strategies[strategy] != nil else {
            throw reader.error("strategy", "'\(strategy)' is not one of strategies: \(strategies.keys.sorted().joined(separator: ", "))",
                               at: reader.node("strategy"))
        }
        let definition = SecretDefinition(
            id: id,
            title: try reader.requiredString("title"),
            aliases: try reader.stringList("aliases"),
            storage: try parseStorage(reader, catalog: catalog),
            every: try reader.duration("every", required: true)!,
            autoRotation: try reader.optionalString("auto_rotation"),
            deploy: try parseDeploy(reader),
            strategy: strategy,
            strategies: strategies,
            checks: try parseChecks(reader, catalog: catalog),
            grace: try reader.duration("grace", required: false),
            graceSetting: try reader.optionalString("grace_setting"),
            escalation: try reader.requiredString("escalation"),
            sourceFile: file,
            aliasesLine: (reader.node("aliases") ?? reader.node("id"))?.mark?.line ?? 1
        )
        try validateSteps(definition, catalog: catalog)
        return definition
    }

    static func parseStorage(_ reader: YAMLMappingReader, catalog: TypeCatalog) throws(InventoryError) -> StorageLocation {
        let storage = try YAMLMappingReader(file: reader.file, path: "storage", node: try reader.requiredNode("storage"))
        try storage.rejectUnknownKeys(allowed: ["kind", "name", "container"])
        let kindText = try storage.requiredString("kind")
        let kind = StoreTypeName(kindText)
        guard let type = catalog.store(kind) else {
            throw storage.error("kind", "unknown storage kind '\(kindText)'; known: \(catalog.stores.keys.sorted().map(\.rawValue).joined(separator: ", "))",
                                at: storage.node("kind"))
        }
        let name = try storage.requiredString("name")
        guard NameRules.isStoreName(name) else {
            throw storage.error("name", "'\(name.prefix(80))' is not a valid store name: ASCII letters, digits and /_+=.@- only, at most 512, no empty, '.' or '..' segment",
                                at: storage.node("name"))
        }
        let container = try storage.optionalString("container")
        if let container, !NameRules.isStoreName(container) {
            throw storage.error("container", "'\(container.prefix(80))' is not a valid store name: ASCII letters, digits and /_+=.@- only, no '..'",
                                at: storage.node("container"))
        }
        if type.needsContainer && container == nil {
            throw storage.error("container", "missing; a '\(kind)' store needs its vault named in 'container'")
        }
        return StorageLocation(kind: kind, name: name, container: container)
    }

    static func parseDeploy(_ reader: YAMLMappingReader) throws(InventoryError) -> DeployLocation? {
        guard let node = reader.node("deploy") else { return nil }
        let deploy = try YAMLMappingReader(file: reader.file, path: "deploy", node: node)
        try deploy.rejectUnknownKeys(allowed: ["namespace", "deployment", "configmap", "secret"])
        // The keys go to a ConfigMap (`configmap:`, the default `aegis-config`) or, for values a
        // cluster should keep encrypted at rest and out of `kubectl describe`, a Secret (`secret:`).
        let configMap = try deploy.optionalString("configmap")
        let secret = try deploy.optionalString("secret")
        if configMap != nil, secret != nil {
            throw deploy.error("secret", "give either configmap or secret, not both", at: deploy.node("secret"))
        }
        let namespace = try deploy.optionalString("namespace") ?? "aegis"
        guard NameRules.isDNSLabel(namespace) else {
            throw deploy.error("namespace", "'\(namespace.prefix(80))' is not a Kubernetes namespace name (DNS-1123 label: a-z, 0-9 and '-', at most 63)",
                               at: deploy.node("namespace"))
        }
        let deployment = try deploy.optionalString("deployment") ?? "aegis-api"
        let object = secret ?? configMap ?? "aegis-config"
        for (key, name) in [("deployment", deployment), (secret == nil ? "configmap" : "secret", object)] where !NameRules.isDNSSubdomain(name) {
            throw deploy.error(key, "'\(name.prefix(80))' is not a Kubernetes object name (DNS-1123 subdomain: a-z, 0-9, '-' and '.', at most 253)",
                               at: deploy.node(key))
        }
        return DeployLocation(
            namespace: namespace,
            deployment: deployment,
            configMap: object,
            objectKind: secret == nil ? nil : .secret
        )
    }

    static func parseStrategies(_ reader: YAMLMappingReader, catalog: TypeCatalog) throws(InventoryError) -> [String: [StepDefinition]] {
        let strategies = try YAMLMappingReader(file: reader.file, path: "strategies", node: try reader.requiredNode("strategies"))
        var result: [String: [StepDefinition]] = [:]
        for (nameNode, stepsNode) in strategies.mapping {
            let name = nameNode.string ?? "?"
            guard case .sequence(let sequence) = stepsNode, !sequence.isEmpty else {
                throw strategies.error(name, "expected a non-empty list of steps", at: stepsNode)
            }
            var steps: [StepDefinition] = []
            for (index, stepNode) in sequence.enumerated() {
                steps.append(try parseStep(stepNode, path: "strategies.\(name)[\(index)]", file: reader.file, catalog: catalog))
            }
            var seen: Set<String> = []
            for step in steps where !seen.insert(step.name).inserted {
                throw InventoryError(file: reader.file, line: step.line, key: "strategies.\(name).name",
                                     problem: "step name '\(step.name)' is used twice; give each step a unique name")
            }
            result[name] = steps
        }
        return result
    }

    static func parseStep(_ node: Node, path: String, file: String, catalog: TypeCatalog) throws(InventoryError) -> StepDefinition {
        let step = try YAMLMappingReader(file: file, path: path, node: node)
        let kindText = try step.requiredString("kind")
        let kind = StepTypeName(kindText)
        guard let type = catalog.step(kind) else {
            throw step.error("kind", "unknown step kind '\(kindText)'; known kinds: \(catalog.steps.keys.sorted().map(\.rawValue).joined(separator: ", "))",
                             at: step.node("kind"))
        }
        try step.rejectUnknownKeys(allowed: type.parameters.allowed.union(["kind", "name"]))
        var parameters: [String: StepParameter] = [:]
        for (keyNode, valueNode) in step.mapping {
            let key = keyNode.string ?? "?"
            guard key != "kind", key != "name" else { continue }
            switch valueNode {
            case .scalar: parameters[key] = .text(try step.scalar(key, valueNode))
            case .sequence: parameters[key] = .list(try step.stringList(key))
            case .mapping: parameters[key] = .map(try step.stringMap(key, valueNode))
            case .alias: throw step.error(key, "YAML aliases are not supported here", at: valueNode)
            }
        }
        for required in type.parameters.required.sorted() where parameters[required] == nil {
            throw step.error(required, "missing; a '\(kind)' step requires it")
        }
        return StepDefinition(name: try step.optionalString("name") ?? kind.rawValue, kind: kind,
                              parameters: parameters, line: step.line)
    }

    /// Each step type's own rules, which may look at the whole file (a restart needs a `deploy`).
    static func validateSteps(_ definition: SecretDefinition, catalog: TypeCatalog) throws(InventoryError) {
        for (strategy, steps) in definition.strategies {
            for (index, step) in steps.enumerated() {
                guard let type = catalog.step(step.kind) else { continue }
                do throws(ParameterProblem) {
                    if type.irreversible, !steps[..<index].contains(where: { $0.kind == .verify }) {
                        throw ParameterProblem(key: "kind", "a '\(step.kind)' step cannot be undone, so it must come after a verify step")
                    }
                    try type.validate(step, definition)
                } catch {
                    throw InventoryError(file: definition.sourceFile, line: step.line,
                                         key: "strategies.\(strategy)[\(index)].\(error.key)", problem: error.problem)
                }
            }
        }
    }

    static func parseChecks(_ reader: YAMLMappingReader, catalog: TypeCatalog) throws(InventoryError) -> [CheckDefinition] {
        guard let node = reader.node("verify") else { return [] }
        guard case .sequence(let sequence) = node else {
            throw reader.error("verify", "expected a list of checks", at: node)
        }
        var checks: [CheckDefinition] = []
        for (index, item) in sequence.enumerated() {
            let check = try YAMLMappingReader(file: reader.file, path: "verify[\(index)]", node: item)
            let kindText = try check.requiredString("kind")
            let kind = CheckTypeName(kindText)
            guard let type = catalog.check(kind) else {
                throw check.error("kind", "unknown check kind '\(kindText)'; known kinds: \(catalog.checks.keys.sorted().map(\.rawValue).joined(separator: ", "))",
                                  at: check.node("kind"))
            }
            try check.rejectUnknownKeys(allowed: type.parameters.allowed.union(["kind"]))
            var parameters: [String: String] = [:]
            for (keyNode, valueNode) in check.mapping where keyNode.string != "kind" {
                let key = keyNode.string ?? "?"
                parameters[key] = try check.scalar(key, valueNode)
            }
            for required in type.parameters.required.sorted() where parameters[required] == nil {
                throw check.error(required, "missing; a '\(kind)' check requires it")
            }
            do {
                try type.validate(parameters)
            } catch {
                throw InventoryError(file: reader.file, line: check.line, key: "verify[\(index)].\(error.key)", problem: error.problem)
            }
            checks.append(CheckDefinition(kind: kind, parameters: parameters, line: check.line, title: type.title(parameters)))
        }
        return checks
    }

    /// Two secrets answering to the same name would make `/rotate <name>` ambiguous.
    static func namingConflicts(_ definitions: [SecretDefinition]) -> [InventoryError] {
        var owner: [String: SecretDefinition] = [:]
        var errors: [InventoryError] = []
        for definition in definitions {
            for name in definition.names {
                guard NameRules.isChatName(name) else {
                    errors.append(InventoryError(file: definition.sourceFile, line: definition.aliasesLine, key: "aliases",
                                                 problem: "'\(name.prefix(80))' is not a name people can type: a-z, 0-9 and '-', starting with a letter or digit, at most 64"))
                    continue
                }
                guard !NameRules.isReserved(name) else {
                    errors.append(InventoryError(file: definition.sourceFile, line: definition.aliasesLine, key: "aliases",
                                                 problem: "'\(name)' is a /rotate subcommand or a rotation ID; a secret named so could never be reached"))
                    continue
                }
                let key = name.lowercased()
                if let first = owner[key] {
                    errors.append(InventoryError(
                        file: definition.sourceFile, line: definition.aliasesLine, key: "aliases",
                        problem: "'\(name)' is already a name of \(first.id) (\(first.sourceFile)); names and aliases must be unique"))
                } else {
                    owner[key] = definition
                }
            }
        }
        return errors
    }

    static func yamlErrorLine(_ error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _): return mark.line
        default: return 1
        }
    }
}
