import Foundation
import FuzzSupport
@testable import SlackWebAPI

/// Any bytes → `JSONReader` (through `JSONValue.parse`), checked against JSONSerialization, the
/// parser it replaced. Property: whenever both accept the bytes, they read the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONReader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(fuzzBytes(data, size))
    let ours = try? JSONValue.parse(bytes)
    guard let ours, let theirs = try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed]) else { return 0 }
    require(ours == foundationValue(theirs), "JSONReader and JSONSerialization read the same bytes differently")
    return 0
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
