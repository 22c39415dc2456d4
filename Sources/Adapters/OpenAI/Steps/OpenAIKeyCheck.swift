import AegisCore
import Foundation

/// `openai-key-check`: the new key lists models (`GET /v1/models`) before anything depends on it.
/// A 401 is final (the engine rolls back: nothing was promoted); a 429 or 5xx is retried.
struct OpenAIKeyCheckStep: StepExecutor {
    let openai: OpenAIClient

    func run(_ context: StepContext) async throws -> String {
        let key = try await context.storedValue(fact: FactKey.newVersion, role: "new key")
        do {
            let count = try await openai.models(key: key)
            return "OpenAI accepts the new key (GET /v1/models lists \(count) models)"
        } catch where error.isInvalidKey {
            throw StepError.refused("OpenAI refuses the new key (\(error.detail)); nothing was promoted")
        } catch {
            throw error.adapterError
        }
    }

    func rollback(_ context: StepContext) async throws -> String? { nil }
}

/// `openai-models` (a verification check): the key of the version that should be live lists
/// models at OpenAI. After a rotation that is the new key, after a rollback the old one.
struct OpenAIModelsCheck: CheckRunner {
    let openai: OpenAIClient

    func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        let version = context.expectedCurrentVersion
        let key: SecretValue
        do {
            guard let value = try await context.store.value(secret: context.definition.storage, versionID: version) else {
                return CheckResult(title: check.title, status: .failed, detail: "version \(version) is missing from the store")
            }
            key = value
        } catch {
            return CheckResult(title: check.title, status: .failed, detail: RotationEngine.safeDescription(error))
        }
        do throws(OpenAIError) {
            let count = try await openai.models(key: key)
            return CheckResult(title: check.title, status: .passed, detail: "the key of version \(version) lists \(count) models")
        } catch {
            return CheckResult(title: check.title, status: .failed, detail: "the key of version \(version): \(error.detail)")
        }
    }
}
