import AegisAdapters
import AegisCore
import FuzzSupport

let catalog = AdapterModules.catalog

/// One Commands file → a secret definition, with every adapter module's types registered, as
/// the loader reads `Commands/<id>.yaml`. Any input must give a definition or an
/// `InventoryError` naming a line, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCommandsYAML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    do {
        let definition = try InventoryLoader.parse(text, file: "Commands/fuzz.yaml", catalog: catalog)
        require(!"\(definition.id)".isEmpty, "a definition without an ID was accepted")
    } catch {
        require(error.line >= 0, "an error with a negative line")
    }
    return 0
}

@_cdecl("FuzzCommandsYAML_main")
public func fuzzCommandsYAMLMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzCommandsYAML)
}
