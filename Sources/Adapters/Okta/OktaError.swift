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
        code = (object?["errorCode"] as? String).map { String($0.prefix(16)) }
        summary = (object?["errorSummary"] as? String).map { String($0.prefix(160)) }
    }

    init(operation: String, unreachable: any Error) {
        self.operation = operation
        status = 0
        code = nil
        summary = "unreachable (\(type(of: unreachable)))"
    }
}
