import AegisCore
@testable import AegisPostgres
import AegisTestServers
import Foundation
import Testing

/// The verifier's arithmetic against known answers (computed independently with Python's
/// hashlib/hmac for RFC 7677's example password and salt).
struct SCRAMVerifierTests {
    @Test func pbkdf2MatchesRFC7914Vector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1: the first 32 bytes.
        let derived = SCRAMVerifier.pbkdf2SHA256(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1)
        #expect(derived.map { String(format: "%02x", $0) }.joined() == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
    }

    @Test func verifierMatchesKnownAnswer() throws {
        let salt = Array(Data(base64Encoded: "W22ZaJ0SNY7soEsUEjb6gQ==")!)
        let verifier = try SCRAMVerifier.make(password: SecretValue(utf8: "pencil"), salt: salt)
        #expect(verifier == "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=")
    }

    @Test func freshSaltEachTime() throws {
        let password = SecretValue(utf8: "abc123")
        let first = try SCRAMVerifier.make(password: password)
        let second = try SCRAMVerifier.make(password: password)
        #expect(first != second)
        #expect(first.hasPrefix("SCRAM-SHA-256$4096:"))
        let salt = first.split(separator: ":")[1].split(separator: "$")[0]
        #expect(Data(base64Encoded: String(salt))?.count == 16)
        #expect(!first.contains("abc123"))
    }

    @Test func nonASCIIAndEmptyPasswordsAreRefusedWithoutShowingThem() {
        let error = #expect(throws: SCRAMVerifierError.self) { try SCRAMVerifier.make(password: SecretValue(utf8: "pässwörd")) }
        #expect(error == .notPrintableASCII)
        #expect(error?.description.contains("pässwörd") == false)
        #expect(throws: SCRAMVerifierError.emptyPassword) { try SCRAMVerifier.make(password: SecretValue(utf8: "")) }
    }
}

/// `DATABASE_URL` parsing.
struct PostgresURLTests {
    @Test func fullURL() throws {
        let url = try PostgresURL(parsing: "postgres://admin:p%40ss@db.internal:6432/app?sslmode=require")
        #expect(url.host == "db.internal" && url.port == 6432 && url.user == "admin" && url.database == "app")
        #expect(url.password?.revealSecretString() == "p@ss")
        #expect(url.tlsMode == .require)
        #expect(url.endpoint == "db.internal:6432")
    }

    @Test func badURLsAreRefusedWithoutQuotingThem() {
        for text in ["mysql://u:SeCrEt@h", "postgres://u:SeCrEt@h:0/db", "postgres://h/db", "postgres://u:SeCrEt@h/db?sslmode=maybe"] {
            let error = #expect(throws: PostgresURLError.self, "\(text)") { try PostgresURL(parsing: text) }
            #expect(error?.description.contains("SeCrEt") == false)
        }
    }

    @Test func roleNamesAreValidatedAndQuoted() throws {
        #expect(try PostgresRoleName("aegis").quoted == "\"aegis\"")
        for bad in ["", "a\"; DROP ROLE postgres; --", "with space", String(repeating: "a", count: 64), "rôle"] {
            #expect(throws: StepError.self, "\(bad)") { try PostgresRoleName(bad) }
        }
    }
}
