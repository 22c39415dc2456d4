@testable import AegisCore
import Foundation
import Testing

/// The readers behind untrusted input that are not a parser of their own: files named in
/// config, timestamps, hex. Cases found by fuzzing or in review (docs/fuzzing.md).
struct BoundedFileTests {
    @Test func aDeviceOrFIFOIsRefusedWithoutReadingOrBlocking() throws {
        #expect(BoundedFile.read("/dev/zero") == .failure(.notARegularFile))
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-fifo-\(UUID().uuidString)").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        // Nobody writes to it: a blocking open would wait for ever.
        #expect(BoundedFile.read(fifo) == .failure(.notARegularFile))
        #expect(BoundedFile.read(FileManager.default.temporaryDirectory.path) == .failure(.notARegularFile))
    }

    @Test func aFileIsReadUpToTheLimitAndRefusedBeyondIt() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-bounded-\(UUID().uuidString)").path
        defer { unlink(path) }
        try Data(repeating: 0x41, count: 100).write(to: URL(fileURLWithPath: path))
        #expect(BoundedFile.read(path, limit: 100) == .success([UInt8](repeating: 0x41, count: 100)))
        #expect(BoundedFile.read(path, limit: 99) == .failure(.tooLarge(limit: 99)))
        guard case .failure(.cannotOpen) = BoundedFile.read(path + "-missing") else {
            Issue.record("a missing file was read")
            return
        }
        #expect(BoundedFile.contents(path + "-missing") == nil)
    }
}

struct TimestampsTests {
    let instant = Date(timeIntervalSince1970: 1_764_717_300.125)  // 2025-12-02T23:15:00.125Z

    @Test func iso8601FormsMatchWhatISO8601DateFormatterWrote() {
        #expect(Timestamps.iso8601(instant) == "2025-12-02T23:15:00Z")
        #expect(Timestamps.iso8601Fractional(instant) == "2025-12-02T23:15:00.125Z")
        #expect(Timestamps.compactISO8601(instant) == "20251202T231500Z")
        #expect(Timestamps.clock(instant) == "23:15")
    }

    @Test func parsingAcceptsBothFormsAndNothingElse() {
        #expect(Timestamps.parseISO8601("2025-12-02T23:15:00Z") == Date(timeIntervalSince1970: 1_764_717_300))
        #expect(Timestamps.parseISO8601("2025-12-02T23:15:00.125Z")?.timeIntervalSince1970 == 1_764_717_300.125)
        #expect(Timestamps.parseISO8601("2025-12-02") == nil)
        #expect(Timestamps.parseISO8601("") == nil)
        #expect(Timestamps.parseISO8601(String(repeating: "2", count: 10_000)) == nil)
    }

    @Test func httpDatesInIMFFixdateForm() {
        #expect(Timestamps.parseHTTPDate("Tue, 02 Dec 2025 23:15:00 GMT") == Date(timeIntervalSince1970: 1_764_717_300))
        #expect(Timestamps.parseHTTPDate("Thu, 01 Jan 1970 00:00:00 GMT") == Date(timeIntervalSince1970: 0))
        #expect(Timestamps.parseHTTPDate("Tue, 29 Feb 2028 12:00:00 GMT") == Date(timeIntervalSince1970: 1_835_438_400))
        #expect(Timestamps.parseHTTPDate("Tue, 02 Dec 2025 23:15:00 UTC") == nil)
        #expect(Timestamps.parseHTTPDate("Tuesday, 02-Dec-25 23:15:00 GMT") == nil)
        #expect(Timestamps.parseHTTPDate("Tue, 32 Dec 2025 23:15:00 GMT") == nil)
        #expect(Timestamps.parseHTTPDate("Tue, 02 Dec 2025 24:00:00 GMT") == nil)
    }

    @Test func daysFromCivilAgreesWithFoundationOverFourCenturies() {
        for year in stride(from: 1970, through: 2400, by: 7) {
            for month in [1, 2, 3, 12] {
                let text = String(format: "%04d-%02d-01T00:00:00Z", year, month)
                let expected = Timestamps.parseISO8601(text).map { Int($0.timeIntervalSince1970 / 86_400) }
                #expect(Timestamps.daysFromCivil(year: year, month: month, day: 1) == expected, "\(text)")
            }
        }
    }
}

struct HexTests {
    @Test func lowercasePairsPerByte() {
        #expect(Hex.encode([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(Hex.encode([UInt8]()) == "")
        #expect(Hex.encode(0...255).count == 512)
    }
}

struct ScalarTrimmingTests {
    /// `YAMLMappingReader.trimmingSpaces` replaced Foundation's `.whitespaces` trim; it must trim
    /// the same characters: tabs and every space separator (Zs), not line breaks.
    @Test(arguments: ["plain", "  both  ", "\ttab\t", "\u{00a0}nbsp\u{3000}", "in side", "", "   ", "line\n", "\u{2003}em", "é ", " 😀"])
    func trimsWhatFoundationsWhitespaceSetTrims(_ text: String) {
        #expect(YAMLMappingReader.trimmingSpaces(text) == text.trimmingCharacters(in: .whitespaces))
    }
}
