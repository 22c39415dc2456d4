import AegisCore
import Foundation

/// What 1Password Connect answered: its error body `{"status": N, "message": "..."}`. Connect's
/// messages name vaults, items and validation rules, never a field value; they are clipped, and
/// any value the request carried is cut out of them anyway, so a server that echoes one cannot
/// put it in a Slack thread. The bearer token never reaches one.
public struct ConnectError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    /// The HTTP status; 0 when there was no answer, -1 when the answer could not be used.
    public var status: Int
    public var message: String

    public var isTransient: Bool { status == 429 || status >= 500 || status == 0 }

    public var description: String { "1password \(operation): \(detail)" }

    public var detail: String {
        switch status {
        case 0, -1: message
        case 401: "HTTP 401: \(message) (OP_CONNECT_TOKEN is not a valid Connect token)"
        case 403: "HTTP 403: \(message) (the Connect token is not allowed this vault or this write)"
        default: "HTTP \(status): \(message)"
        }
    }

    var adapterError: AdapterError {
        AdapterError(system: "1password", operation: operation, message: detail, isTransient: isTransient)
    }

    init(operation: String, status: Int, body: Data, redacting secrets: [SecretValue] = []) {
        self.operation = operation
        self.status = status
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        // Cut the values out before clipping, so a clipped message cannot keep a piece of one.
        var text = object?["message"] as? String ?? "no message"
        for secret in secrets {
            let value = secret.revealSecretString()
            if value.count >= 4 { text = text.replacingOccurrences(of: value, with: "[redacted]") }
        }
        message = String(text.prefix(300))
    }

    init(operation: String, unreachable: any Error) {
        self.operation = operation
        status = 0
        message = "Connect did not answer (\(type(of: unreachable)))"
    }

    init(operation: String, unusable: String) {
        self.operation = operation
        status = -1
        message = unusable
    }
}
