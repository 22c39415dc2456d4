import AegisCore
import Foundation

/// What OpenAI answered, from its error body `{"error": {message, type, param, code}}`. Never
/// holds a key: OpenAI's 401 message quotes a masked key ("Incorrect API key provided:
/// sk-proj-****…MxYA", twelve characters of it), so the message is kept only after
/// ``OpenAIError/sanitized(_:)`` and clipped.
public struct OpenAIError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var status: Int
    public var type: String?
    public var code: String?
    public var message: String?

    /// The key was refused: unknown, deleted, expired (401 `invalid_api_key`), or lacks a scope.
    public var isInvalidKey: Bool { status == 401 }
    public var isNotFound: Bool { status == 404 }
    /// 429 and 5xx (and no answer at all) are worth retrying; other refusals will not change.
    public var isTransient: Bool { status == 429 || status >= 500 || status == 0 }
    /// The call was not made: the setting it needs is missing (status -1, never transient).
    public var isNotConfigured: Bool { status == -1 }

    public var description: String { "openai \(operation): \(detail)" }

    /// "HTTP 401 invalid_api_key: Incorrect API key provided: <key redacted>. …"
    public var detail: String {
        guard status > 0 else { return message ?? "no answer" }
        let label = code ?? type
        var text = "HTTP \(status)" + (label.map { " \($0)" } ?? "")
        if let message { text += ": \(message)" }
        return text
    }

    var adapterError: AdapterError {
        AdapterError(system: "openai", operation: operation, message: detail, isTransient: isTransient)
    }

    init(operation: String, status: Int, body: Data) {
        self.operation = operation
        self.status = status
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        type = (error?["type"] as? String).map { Self.sanitized(String($0.prefix(40))) }
        code = (error?["code"] as? String).map { Self.sanitized(String($0.prefix(40))) }
        message = (error?["message"] as? String).map { String(Self.sanitized($0).prefix(200)) }
    }

    init(operation: String, notConfigured: String) {
        self.operation = operation
        status = -1
        message = notConfigured
    }

    init(operation: String, unreachable: any Error) {
        self.operation = operation
        status = 0
        message = "unreachable (\(Swift.type(of: unreachable)))"
    }

    /// A provider sentence with every key-like word replaced: anything starting with `sk-`, and
    /// any word holding a run of `*` (OpenAI's mask keeps the first 8 and last 4 characters of
    /// whatever token was sent, so a key without the `sk-` prefix is masked the same way).
    public static func sanitized(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            let bare = word.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:()\"'"))
            if bare.contains("sk-") || bare.contains("***") || bare.count >= 40 { return "<key redacted>" }
            return String(word)
        }.joined(separator: " ")
    }
}
