import AegisChat
import FuzzSupport

/// A `/rotate …` line anyone in a channel can type → the parsed command.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRotateCommand(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    _ = ParsedCommand.parse(text)
    return 0
}

@_cdecl("FuzzRotateCommand_main")
public func fuzzRotateCommandMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzRotateCommand)
}
