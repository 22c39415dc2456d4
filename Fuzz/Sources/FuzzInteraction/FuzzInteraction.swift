import AegisSlack
import Foundation
import FuzzSupport
import SlackWebAPI

/// An envelope's payload → the typed interaction the router acts on. The first byte picks the
/// envelope type. Property: a submitted key never appears in the interaction's description
/// (which is what gets logged).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInteraction(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let types = ["slash_commands", "interactive", "events_api", "hello"]
    guard let payload = try? JSONValue.parse(Data(bytes.dropFirst())) else { return 0 }
    let interaction = SlackInteraction(envelopeType: types[Int(selector) % types.count], payload: payload)
    let description = interaction.description
    if case .keySubmission(let user, let rotationID, let key) = interaction {
        let value = String(decoding: key.revealSecretBytes(), as: UTF8.self)
        if value.count >= 6, !user.contains(value), !rotationID.contains(value) {
            require(!description.contains(value), "the description of a key submission shows the key")
        }
    }
    return 0
}

@_cdecl("FuzzInteraction_main")
public func fuzzInteractionMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzInteraction)
}
