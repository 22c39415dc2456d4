import AegisCore
import Foundation

/// A failed API call or a rollout verdict. Built from the server's Status object (`reason`,
/// `message`) or from the transport; it never holds a token or a config value.
public struct KubernetesError: Error, Sendable, CustomStringConvertible {
    /// What was attempted: `GET /api/v1/namespaces/aegis/configmaps/aegis-config`, or a verb.
    public var operation: String
    /// The HTTP status; nil for transport failures and for rollout verdicts.
    public var status: Int?
    /// The Status object's `reason` (`NotFound`, `Unauthorized`…) or ours (`ProgressDeadlineExceeded`,
    /// `Paused`, `RolloutTimeout`, `Timeout`, `Transport`).
    public var reason: String?
    public var message: String
    /// Timeouts, connection failures, 429 and 5xx.
    public var isTransient: Bool

    public init(operation: String, status: Int? = nil, reason: String? = nil, message: String, isTransient: Bool) {
        self.operation = operation
        self.status = status
        self.reason = reason
        self.message = message
        self.isTransient = isTransient
    }

    public var description: String {
        var text = operation + ": "
        if let status { text += "HTTP \(status) " }
        if let reason { text += "\(reason): " }
        return text + message
    }

    /// Same error, with any of `values` that the server echoed replaced by `<redacted>`.
    func redacting(_ values: [SecretValue]) -> KubernetesError {
        var copy = self
        for value in values where value.byteCount >= 4 {
            copy.message = copy.message.replacingOccurrences(of: value.revealSecretString(), with: "<redacted>")
        }
        return copy
    }

    /// The core's view: the same text, tagged with the system.
    func adapterError(_ operation: String) -> AdapterError {
        AdapterError(system: "kubernetes", operation: operation, message: description, isTransient: isTransient)
    }

    /// The API's `Status` object, as far as an error message needs it.
    struct StatusObject: Decodable {
        var reason: String?
        var message: String?
    }

    static func fromResponse(operation: String, status: Int, body: [UInt8]) -> KubernetesError {
        let decoded = try? JSONDecoder().decode(StatusObject.self, from: Data(body))
        let message = decoded?.message.map { String($0.prefix(400)) } ?? "no Status object in the response"
        return KubernetesError(operation: operation, status: status, reason: decoded?.reason, message: message,
                               isTransient: status >= 500 || status == 429)
    }
}
