import Foundation
@testable import SlackWebAPI
import Testing

@Suite("JSONReader: RFC 8259 straight into JSONValue")
struct JSONReaderTests {
    /// JSONSerialization's reading of the same text, as the JSONValue the bot used to build.
    static func foundationReading(_ text: String) throws -> JSONValue {
        func convert(_ value: Any) -> JSONValue {
            switch value {
            case let string as String: return .string(string)
            case let object as [String: Any]: return .object(object.mapValues(convert))
            case let array as [Any]: return .array(array.map(convert))
            case let number as NSNumber:
                return String(cString: number.objCType) == "c" ? .bool(number.boolValue) : .number(number.doubleValue)
            default: return .null
            }
        }
        return convert(try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]))
    }

    static let documents = [
        #"{"envelope_id":"e1","type":"events_api","accepts_response_payload":false,"retry_attempt":0,"payload":{"event_id":"Ev1"}}"#,
        #"{"a":[1,-2,3.5,-0.25e-3,6E+2,0,-0,1e308],"b":[true,false,null],"c":{}, "d":[] , "e":""}"#,
        #"  [ "tab\there", "quote\"s", "back\\slash", "\/slash", "\b\f\n\r", "\u00e9\u4e2d", "\ud83d\ude00", "é中😀" ]  "#,
        #""just a string""#, "42", "true", "null", #"{"dup":1,"dup":2}"#,
        #"{"nested":{"deeper":{"deepest":[[[["x"]]]]}}}"#,
        #"{"big":12345678901234567890,"small":-9007199254740993,"frac":0.1}"#,
    ]

    @Test("agrees with JSONSerialization on real frames, every escape and every number form", arguments: documents)
    func agreesWithFoundation(_ text: String) throws {
        #expect(try JSONValue.parse(text) == Self.foundationReading(text))
    }

    /// Found by FuzzJSONReader: JSONSerialization reads this through `Decimal` and lands a few
    /// units in the last place away; the reader gives the correctly rounded double.
    @Test func integersBeyond64BitsAreCorrectlyRounded() throws {
        let digits = String(repeating: "1", count: 45)
        #expect(try JSONValue.parse(" \(digits) ") == .number(Double(digits)!))
        #expect(try JSONValue.parse("-\(digits)e-40") == .number(Double("-\(digits)e-40")!))
    }

    @Test("values come out as their types")
    func values() throws {
        let value = try JSONValue.parse(#"{"s":"a\u0041","n":-1.5e2,"t":true,"z":null,"l":[1]}"#)
        #expect(value["s"]?.string == "aA")
        #expect(value["n"] == .number(-150))
        #expect(value["t"]?.bool == true)
        #expect(value["z"] == .null)
        #expect(value["l"]?.array == [.number(1)])
    }

    @Test("a lone surrogate escape becomes U+FFFD instead of failing the frame")
    func loneSurrogates() throws {
        #expect(try JSONValue.parse(#""\ud800x""#) == .string("\u{fffd}x"))
        #expect(try JSONValue.parse(#""\udc00""#) == .string("\u{fffd}"))
        #expect(try JSONValue.parse(#""\ud800\u0041""#) == .string("\u{fffd}A"))
    }

    static let invalid: [(String, String)] = [
        ("", "a value was expected"), ("[1,]", "unexpected character"), (#"{"a":1,}"#, "a member name"),
        ("01", "text after the value"), ("1.", "after '.'"), ("-", "a digit"), ("1e", "exponent"), ("tru", "end of text"),
        ("nul", "end of text"), ("[1 2]", "',' or ']'"), (#"{"a" 1}"#, "':'"), (#"{"a":1 "b":2}"#, "',' or '}'"),
        ("\"a\u{01}b\"", "control character"), (#""\x""#, "unknown escape"), (#""\u12""#, "four hex digits"),
        (#""abc"#, "unterminated"), ("1e400", "out of range"), ("[1] x", "text after"), ("{'a':1}", "member name"),
        ("// comment\n1", "unexpected character"), ("NaN", "unexpected character"),
    ]

    @Test("refuses what RFC 8259 refuses, saying where and why", arguments: invalid)
    func refuses(_ text: String, _ reason: String) {
        #expect {
            try JSONValue.parse(text)
        } throws: { error in
            "\(error)".contains(reason) && "\(error)".contains("at byte")
        }
    }

    @Test("bytes that are not UTF-8 are refused")
    func notUTF8() {
        #expect(throws: JSONReader.Failure.self) { try JSONValue.parse(Data([0x22, 0xff, 0xfe, 0x22])) }
        #expect(throws: JSONReader.Failure.self) { try JSONValue.parse(Data([0x22, 0xc3, 0x22])) }
    }

    @Test("nesting deeper than the limit is an error, not a stack overflow")
    func depth() throws {
        let limit = JSONReader.maximumDepth
        let fits = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(try JSONValue.parse(fits).array != nil)
        let hostile = String(repeating: "[", count: 60_000)
        #expect(throws: JSONReader.Failure.self) { try JSONValue.parse(hostile) }
        #expect(throws: JSONReader.Failure.self) { try JSONValue.parse(String(repeating: #"{"a":"#, count: limit + 1)) }
    }

    @Test("what the bot encodes it reads back")
    func roundTrip() throws {
        let value: JSONValue = ["text": "line\nnext \"quoted\" \u{1}", "n": 3, "list": [true, .null, "é"], "obj": ["k": .number(1.5)]]
        #expect(try JSONValue.parse(value.text) == value)
    }
}
