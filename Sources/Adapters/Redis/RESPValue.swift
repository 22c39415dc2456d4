import Foundation

/// One RESP2 reply, typed. Bulk strings stay bytes: a reply may be binary, and a reply to a
/// command that handles a password must never be turned into text by accident.
public enum RESPValue: Sendable, Hashable {
    case simpleString(String)
    /// An error reply (`-ERR …`, `-WRONGPASS …`). The first word is the error's code.
    case error(String)
    case integer(Int64)
    case bulkString([UInt8])
    case array([RESPValue])
    /// `$-1` or `*-1`: RESP2's null bulk string and null array.
    case null

    /// The text of a simple or bulk string; nil for other replies.
    public var text: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    public var array: [RESPValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// The code of an error reply (`WRONGPASS`, `NOPERM`, `ERR`), nil for other replies.
    public var errorCode: String? {
        guard case .error(let message) = self else { return nil }
        return message.split(separator: " ", maxSplits: 1).first.map(String.init)
    }
}
