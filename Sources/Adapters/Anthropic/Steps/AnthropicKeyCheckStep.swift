import AegisCore
import Foundation

/// `anthropic-key-check`: the key a person handed over lists models (`GET /v1/models` with
/// `x-api-key` and `anthropic-version`) before anything depends on it. A 401 is final (the
/// engine rolls back: the pending version is discarded, the old key stays current); a 429,
/// 5xx or 529 is retried.
struct AnthropicKeyCheckStep: StepExecutor {
    let anthropic: AnthropicClient

    func run(_ context: StepContext) async throws -> String {
        let key = try await context.storedValue(fact: FactKey.newVersion, role: "new key")
        do {
            let count = try await anthropic.models(key: key)
            return "Anthropic accepts the new key (GET /v1/models lists \(count) models)"
        } catch where error.isInvalidKey {
            throw StepError.refused("Anthropic refuses the new key (\(error.detail)); nothing was promoted")
        } catch {
            throw error.adapterError
        }
    }

    func rollback(_ context: StepContext) async throws -> String? { nil }
}

enum AnthropicKeyValues {
    /// Runs an Admin API call, turning ``AnthropicError`` into the core's `AdapterError`.
    static func call<T>(_ body: () async throws(AnthropicError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw error.adapterError
        }
    }
}
