import Foundation
import FuzzSupport
@testable import SlackSocketMode
import SlackWebAPI

/// A Socket Mode frame as the connection reads it: JSON text → `JSONValue` → envelope, then the
/// ack the connection would send. Property: the ack parses back to the same envelope ID.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSocketModeEnvelope(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    guard let frame = try? JSONValue.parse(text) else { return 0 }
    _ = frame["num_connections"]?.int
    guard let envelope = SocketModeEnvelope(frame) else { return 0 }
    _ = envelope.deduplicationKey
    let ack = JSONValue.object(["envelope_id": .string(envelope.envelopeID)]).text
    let parsed = try? JSONValue.parse(ack)
    require(parsed?["envelope_id"]?.string == envelope.envelopeID, "the ack does not carry the envelope ID back")
    return 0
}

@_cdecl("FuzzSocketModeEnvelope_main")
public func fuzzSocketModeEnvelopeMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzSocketModeEnvelope)
}
