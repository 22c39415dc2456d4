import AegisCore
import Foundation

/// What Anthropic answered, from its error body `{"type": "error", "error": {type, message}}`.
/// Never holds a key: the message is kept only after ``sanitized(_:)`` (any key-like word
/// replaced) and clipped.
public struct AnthropicError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var status: Int
    /// `authentication_error`, `not_found_error`, `rate_limit_error`, …
    public var type: String?
    public var message: String?

    /// The key was refused (401 `authentication_error`; 403 `permission_error` for an admin call).
    public var isInvalidKey: Bool { status == 401 || status == 403 }
    public var isNotFound: Bool { status == 404 }
    /// 429, 5xx and 529 `overloaded_error` (and no answer) are worth retrying.
    public var isTransient: Bool { status == 429 || status >= 500 || status == 0 }

    public var description: String { "anthropic \(operation): \(detail)" }

    public var detail: String {
        guard status > 0 else { return message ?? "no answer" }
        var text = "HTTP \(status)" + (type.map { " \($0)" } ?? "")
        if let message { text += ": \(message)" }
        return text
    }

    var adapterError: AdapterError {
        AdapterError(system: "anthropic", operation: operation, message: detail, isTransient: isTransient)
    }

    init(operation: String, status: Int, body: Data) {
        self.operation = operation
        self.status = status
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        type = (error?["type"] as? String).map { Self.sanitized(String($0.prefix(40))) }
        message = (error?["message"] as? String).map { String(Self.sanitized($0).prefix(200)) }
    }

    init(operation: String, message: String, status: Int) {
        self.operation = operation
        self.status = status
        self.message = message
    }

    init(operation: String, unreachable: any Error) {
        self.operation = operation
        status = 0
        message = "unreachable (\(Swift.type(of: unreachable)))"
    }

    /// A provider sentence with every key-like word replaced (`sk-ant-…`, masked runs of `*`,
    /// and any very long word).
    public static func sanitized(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            let bare = word.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:()\"'"))
            if bare.contains("sk-") || bare.contains("***") || bare.count >= 40 { return "<key redacted>" }
            return String(word)
        }.joined(separator: " ")
    }
}
