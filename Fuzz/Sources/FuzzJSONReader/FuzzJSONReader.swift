import Foundation
import FuzzSupport
@testable import SlackWebAPI

/// Any bytes → `JSONReader` (through `JSONValue.parse`), checked against JSONSerialization, the
/// parser it replaced. Property: whenever both accept the bytes, they read the same value; numbers
/// within 1e-12 of each other, because JSONSerialization reads integers beyond 64 bits through
/// `Decimal` and rounds them less exactly than the correctly rounded `Double(text)` (found by this
/// target: `1111…1` with 45 digits; `JSONReaderTests.integersBeyond64BitsAreCorrectlyRounded`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONReader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(fuzzBytes(data, size))
    let ours = try? JSONValue.parse(bytes)
    guard let ours, let theirs = try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed]) else { return 0 }
    require(same(ours, foundationValue(theirs)), "JSONReader and JSONSerialization read the same bytes differently")
    return 0
}

func same(_ left: JSONValue, _ right: JSONValue) -> Bool {
    switch (left, right) {
    case (.number(let a), .number(let b)): return a == b || abs(a - b) <= 1e-12 * max(abs(a), abs(b))
    case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
    case (.object(let a), .object(let b)):
        return a.count == b.count && a.allSatisfy { key, value in b[key].map { same(value, $0) } ?? false }
    default: return left == right
    }
}

func foundationValue(_ value: Any) -> JSONValue {
    switch value {
    case let string as String: return .string(string)
    case let object as [String: Any]: return .object(object.mapValues(foundationValue))
    case let array as [Any]: return .array(array.map(foundationValue))
    case let number as NSNumber:
        return String(cString: number.objCType) == "c" ? .bool(number.boolValue) : .number(number.doubleValue)
    default: return .null
    }
}

@_cdecl("FuzzJSONReader_main")
public func fuzzJSONReaderMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzJSONReader)
}
