import Foundation
/// Rules that tie a Commands file's fields together, checked at load time so a broken plan is a
/// load error and never a half-run rotation.
enum PlanRules {
    static let materialFormats: Set<String> = ["jwt-hs256", "jwt-rs256", "random-base64", "alphanumeric"]
    static let configSources: Set<String> = ["new", "old"]

    static func validate(_ definition: SecretDefinition, reader: YAMLMappingReader) throws(InventoryError) {
        for (strategy, steps) in definition.strategies {
            for (index, step) in steps.enumerated() {
                let path = "strategies.\(strategy)[\(index)]"
                func fail(_ key: String, _ problem: String) -> InventoryError {
                    InventoryError(file: definition.sourceFile, line: step.line, key: "\(path).\(key)", problem: problem)
                }
                switch step.kind {
                case .generate:
                    let format = step.text("format") ?? ""
                    guard materialFormats.contains(format) else {
                        throw fail("format", "unknown format '\(format)'; known: \(materialFormats.sorted().joined(separator: ", "))")
                    }
                    // The strength floor of each format: a secret shorter than this is refused at load.
                    for (key, range) in [("bytes", 32...4_096), ("length", 20...1_024)] {
                        guard let text = step.text(key) else { continue }
                        guard let value = Int(text), range.contains(value) else {
                            throw fail(key, "'\(text.prefix(20))' is out of range: a whole number from \(range.lowerBound) to \(range.upperBound)")
                        }
                    }
                case .deployConfig:
                    guard definition.deploy != nil else { throw fail("kind", "a deploy-config step needs a 'deploy' section") }
                    for (key, source) in step.map("set") where !configSources.contains(source) {
                        throw fail("set.\(key)", "'\(source)' is not a source; use 'new' or 'old'")
                    }
                    if step.map("set").isEmpty && step.list("remove").isEmpty {
                        throw fail("set", "a deploy-config step must set or remove at least one key")
                    }
                case .restart:
                    guard definition.deploy != nil else { throw fail("kind", "a restart step needs a 'deploy' section") }
                case .graceCleanup:
                    guard definition.deploy != nil else { throw fail("kind", "a grace-cleanup step needs a 'deploy' section") }
                    guard definition.grace != nil else { throw fail("kind", "a grace-cleanup step needs 'grace' at the top of the file") }
                default:
                    break
                }
                if let timeout = step.text("timeout") {
                    do { _ = try DurationText.parse(timeout) } catch { throw fail("timeout", error.description) }
                }
            }
        }
        for check in definition.checks where check.kind == .logs {
            if let window = check.parameters["window"] {
                do { _ = try DurationText.parse(window) } catch {
                    throw InventoryError(file: definition.sourceFile, line: check.line, key: "verify.window", problem: error.description)
                }
            }
        }
    }
}
