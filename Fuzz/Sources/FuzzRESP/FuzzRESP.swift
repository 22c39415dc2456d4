import FuzzSupport
import NIOCore
@testable import AegisRedis

/// Bytes from a Redis server → RESP2 replies, as the reply decoder reads them from the socket.
/// Property: every reply parsed moves the reader forward; an incomplete reply leaves the
/// buffer for more bytes, a malformed one throws.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var buffer = ByteBuffer(bytes: fuzzBytes(data, size))
    while buffer.readableBytes > 0 {
        var attempt = buffer
        let before = attempt.readerIndex
        do {
            guard try RESPReplyDecoder.parse(&attempt, depth: 0) != nil else { return 0 }
            require(attempt.readerIndex > before, "a reply was parsed from no bytes")
            buffer = attempt
        } catch {
            return 0
        }
    }
    return 0
}

@_cdecl("FuzzRESP_main")
public func fuzzRESPMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzRESP)
}
