import Foundation
import NIOCore

/// Writes commands as RESP arrays of bulk strings (`*N\r\n$len\r\narg\r\n…`).
struct RESPCommandEncoder: MessageToByteEncoder {
    typealias OutboundIn = RESPCommand

    func encode(data command: RESPCommand, out: inout ByteBuffer) {
        out.writeString("*\(command.arguments.count)\r\n")
        for argument in command.arguments {
            let bytes = argument.bytes
            out.writeString("$\(bytes.count)\r\n")
            out.writeBytes(bytes)
            out.writeString("\r\n")
        }
    }
}

/// Reads RESP2 replies: `+simple`, `-error`, `:integer`, `$bulk` (and `$-1`), `*array` (and `*-1`).
/// A reply split over several reads waits for the rest; nothing is consumed until a whole reply
/// has arrived.
struct RESPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPValue

    /// Bounds that keep a broken or hostile peer from making us allocate without limit.
    static let maximumBulkLength = 64 * 1024 * 1024
    static let maximumDepth = 32

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var copy = buffer
        guard let value = try Self.parse(&copy, depth: 0) else { return .needMoreData }
        buffer = copy
        context.fireChannelRead(Self.wrapInboundOut(value))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }

    /// Parses one reply from `buffer`, moving its reader index past it; nil when incomplete.
    static func parse(_ buffer: inout ByteBuffer, depth: Int) throws -> RESPValue? {
        guard depth <= maximumDepth else { throw RESPProtocolError("replies nested deeper than \(maximumDepth)") }
        guard let marker = buffer.readInteger(as: UInt8.self) else { return nil }
        guard let line = readLine(&buffer) else { return nil }
        switch marker {
        case UInt8(ascii: "+"):
            return .simpleString(line)
        case UInt8(ascii: "-"):
            return .error(line)
        case UInt8(ascii: ":"):
            guard let number = Int64(line) else { throw RESPProtocolError("integer reply is not a number") }
            return .integer(number)
        case UInt8(ascii: "$"):
            guard let length = Int(line), length >= -1, length <= maximumBulkLength else {
                throw RESPProtocolError("bad bulk string length")
            }
            if length == -1 { return .null }
            guard buffer.readableBytes >= length + 2, let bytes = buffer.readBytes(length: length) else { return nil }
            guard buffer.readString(length: 2) == "\r\n" else { throw RESPProtocolError("bulk string without CRLF") }
            return .bulkString(bytes)
        case UInt8(ascii: "*"):
            guard let count = Int(line), count >= -1, count <= 1_000_000 else { throw RESPProtocolError("bad array length") }
            if count == -1 { return .null }
            var elements: [RESPValue] = []
            // Each element takes at least 3 bytes (`+\r\n`): a 12-byte header claiming a million
            // elements must not reserve a million slots before the bytes are there.
            elements.reserveCapacity(min(count, buffer.readableBytes / 3))
            for _ in 0..<count {
                guard let element = try parse(&buffer, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            return .array(elements)
        default:
            throw RESPProtocolError("unknown reply type byte \(marker)")
        }
    }

    /// The text up to the next CRLF, consuming the CRLF; nil when no CRLF has arrived yet.
    static func readLine(_ buffer: inout ByteBuffer) -> String? {
        let view = buffer.readableBytesView
        guard let cr = view.firstIndex(of: UInt8(ascii: "\r")), view.index(after: cr) < view.endIndex,
              view[view.index(after: cr)] == UInt8(ascii: "\n") else { return nil }
        let length = cr - view.startIndex
        let text = buffer.readString(length: length)
        buffer.moveReaderIndex(forwardBy: 2)
        return text
    }
}

/// The server sent something that is not RESP2. Names the fault, never the bytes.
struct RESPProtocolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = "RESP protocol error: \(description)" }
}
