import AegisCore
import Foundation

/// The IDs OpenAI steps need, and their error mapping.
enum OpenAIKeyValues {
    /// A required ID parameter of the step (`project`, `service_account`), checked at load too.
    static func parameter(_ context: StepContext, _ key: String) throws -> String {
        guard let value = context.step.definition.text(key), !value.isEmpty else {
            throw StepError.misconfigured("step '\(context.step.name)' needs '\(key)'")
        }
        return value
    }

    /// Runs an OpenAI call, turning ``OpenAIError`` into the core's `AdapterError` (retried when transient).
    static func call<T>(_ body: () async throws(OpenAIError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw error.adapterError
        }
    }
}

/// Load-time rules for the Admin API IDs a Commands file names: OpenAI's own shapes
/// (`proj_…`, `svc_acct_…`), so a typo is a load error and not a 404 in the middle of a rotation.
enum OpenAIIDRules {
    static let idCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_-"))

    static func id(_ step: StepDefinition, _ key: String, prefix: String) throws(ParameterProblem) {
        guard let text = step.text(key) else { throw ParameterProblem(key: key, "is required (an ID starting with \(prefix))") }
        guard text.hasPrefix(prefix), text.count > prefix.count, text.count <= 80,
              text.unicodeScalars.allSatisfy(idCharacters.contains) else {
            throw ParameterProblem(key: key, "'\(text.prefix(80))' is not an OpenAI ID of the form \(prefix)…")
        }
    }
}
