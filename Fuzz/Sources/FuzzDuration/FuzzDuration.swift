import AegisCore
import FuzzSupport

/// A duration an operator typed (`90s`, `1h30m`, `24h`). Property: what parses is within the
/// ten-year bound and its printed form parses back to the same duration.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDuration(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    guard let duration = try? DurationText.parse(text) else { return 0 }
    require(duration >= .zero && duration <= .seconds(DurationText.maximumDays * 86_400), "a duration outside the bound")
    let printed = DurationText.format(duration)
    require((try? DurationText.parse(printed)) == duration, "'\(printed)' does not parse back to the same duration")
    return 0
}

@_cdecl("FuzzDuration_main")
public func fuzzDurationMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzDuration)
}
