import CFuzzDriver

/// The bytes libFuzzer hands a target, copied out of its buffer.
public func fuzzBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// A property the parser must keep for every input; a violation is a crash libFuzzer records.
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz property violated: \(message())") }
}

/// The process entry of a fuzz target: libFuzzer's driver with `callback` as the target.
/// SwiftPM links debug executables with `main` aliased to `<Target>_main`, which each target
/// defines by calling this.
public func runFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
    aegis_fuzz_run(argc, argv, callback)
}
