import AegisCore
import Foundation
import Testing

@Suite("SecretValue never shows its value")
struct SecretValueTests {
    let value = "hunter2-super-secret-value"

    @Test func printingPathsAreRedacted() throws {
        let secret = SecretValue(utf8: value)
        var dumped = ""
        dump(secret, to: &dumped)
        let texts = ["\(secret)", String(describing: secret), String(reflecting: secret), dumped, "\([secret])",
                     "\(Optional(secret) as Any)", "\(["k": secret])"]
        for text in texts {
            #expect(!text.contains(value), "leaked through: \(text)")
        }
        #expect("\(secret)" == "<redacted>")
        #expect(Mirror(reflecting: secret).children.isEmpty)
    }

    @Test func encodingThrows() {
        #expect(throws: EncodingError.self) { try JSONEncoder().encode(["k": SecretValue(utf8: value)]) }
    }

    @Test func revealIsExplicit() {
        let secret = SecretValue(utf8: value)
        #expect(secret.revealSecretString() == value)
        #expect(secret.constantTimeEquals(SecretValue(utf8: value)))
        #expect(!secret.constantTimeEquals(SecretValue(utf8: value + "x")))
        #expect(!secret.constantTimeEquals(SecretValue(utf8: "hunter3-super-secret-value")))
    }
}
