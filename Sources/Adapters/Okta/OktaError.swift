import AegisCore
import Foundation

/// What Okta answered, from its error body `{errorCode, errorSummary}`. Never holds a token: the
/// summary is Okta's own sentence, clipped.
public struct OktaError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var status: Int
    public var code: String?
    public var summary: String?

    /// E0000011: the token is invalid, expired or revoked.
    public var isInvalidToken: Bool { status == 401 || code == "E0000011" }
    /// 429 (E0000047) and 5xx are worth retrying; other refusals will not change.
    public var isTransient: Bool { status == 429 || status >= 500 || status == 0 }

    public var description: String {
        let detail = [code, summary].compactMap { $0 }.joined(separator: " ")
        return "okta \(operation): HTTP \(status)" + (detail.isEmpty ? "" : " \(detail)")
    }

    var adapterError: AdapterError {
        AdapterError(system: "okta", operation: operation, message: "HTTP \(status)" + ([code, summary].compactMap { $0 }.isEmpty ? "" : " " + [code, summary].compactMap { $0 }.joined(separator: " ")),
                     isTransient: isTransient)
    }

    init(operation: String, status: Int, body: Data) {
        self.operation = operation
        self.status = status
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        // Management API: {errorCode, errorSummary, errorCauses}; the token endpoint answers in
        // OAuth's {error, error_description}. The first cause says why a JWK was refused.
        code = ((object?["errorCode"] ?? object?["error"]) as? String).map { String($0.prefix(32)) }
        let cause = (object?["errorCauses"] as? [[String: Any]])?.first?["errorSummary"] as? String
        let text = ((object?["errorSummary"] ?? object?["error_description"]) as? String).map { text in cause.map { "\(text): \($0)" } ?? text }
        summary = text.map { String($0.prefix(200)) }
    }

    /// E0000007: the app or the JWK does not exist (deleted already, e.g. by a run before a crash).
    public var isNotFound: Bool { status == 404 }

    init(operation: String, unreachable: any Error) {
        self.operation = operation
        status = 0
        code = nil
        summary = "unreachable (\(type(of: unreachable)))"
    }
}

extension OktaError {
    /// A failure of our own making around a call (an answer we cannot read).
    init(operation: String, status: Int, summary: String) {
        self.operation = operation
        self.status = status
        code = nil
        self.summary = summary
    }
}
