import AegisCore
import Foundation
import Testing

/// What a person types becomes a rotation ID only in the `R-<number>` form.
@Suite("rotation IDs from typed text")
struct RotationIDTests {
    @Test("R-7, r-7 and padded forms parse; the ID prints and stores as R-7", arguments: ["R-7", "r-7", "  R-7 ", "\tr-7"])
    func accepted(text: String) throws {
        let id = try #require(RotationID(parsing: text))
        #expect(id == RotationID(number: 7))
        #expect(id.description == "R-7" && id.number == 7)
        #expect(String(decoding: try JSONEncoder().encode(id), as: UTF8.self) == "\"R-7\"", "stored as a plain string, as before")
    }

    @Test("anything else is not an ID", arguments: ["", "R-", "R-0", "R-07", "R--7", "R-7x", "X-7", "R7", "R-99999999999999999999999",
                                                    "R-1; DROP TABLE rotation", "jwt", "R-\u{0663}"])
    func refused(text: String) {
        #expect(RotationID(parsing: text) == nil, "'\(text)' parsed")
    }

    @Test("IDs order by number, not by text")
    func ordering() {
        #expect(RotationID(number: 9) < RotationID(number: 10))
        #expect([RotationID(number: 10), RotationID(number: 2)].sorted() == [RotationID(number: 2), RotationID(number: 10)])
    }
}
