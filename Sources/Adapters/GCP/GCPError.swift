import AegisCore
import Foundation

/// What Google answered: Secret Manager's `google.rpc.Status` body (`{"error": {"code", "message",
/// "status"}}`) or the token endpoint's `{"error", "error_description"}`. Google's messages name
/// resources, never a payload; they are clipped anyway, and a token never reaches one.
public struct GCPError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    /// The HTTP status; 0 when there was no answer, -1 when the answer could not be used.
    public var status: Int
    /// `NOT_FOUND`, `FAILED_PRECONDITION`, `invalid_grant`, …
    public var code: String?
    public var message: String

    public var isNotFound: Bool { status == 404 }
    public var isTransient: Bool { status == 429 || status >= 500 || status == 0 }

    public var description: String { "gcp \(operation): \(detail)" }

    public var detail: String {
        guard status > 0 else { return message }
        return "HTTP \(status)" + (code.map { " \($0)" } ?? "") + ": \(message)"
    }

    var adapterError: AdapterError {
        AdapterError(system: "gcp-secret-manager", operation: operation, message: detail, isTransient: isTransient)
    }

    init(operation: String, status: Int, body: Data) {
        self.operation = operation
        self.status = status
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        if let error = object?["error"] as? [String: Any] {
            code = error["status"] as? String
            message = String((error["message"] as? String ?? "no message").prefix(300))
        } else {
            code = object?["error"] as? String
            message = String((object?["error_description"] as? String ?? "no message").prefix(300))
        }
    }

    init(operation: String, unreachable: any Error) {
        self.operation = operation
        status = 0
        message = "Google did not answer (\(type(of: unreachable)))"
    }

    init(operation: String, unusable: String) {
        self.operation = operation
        status = -1
        message = unusable
    }
}
