import AegisCore
import Foundation

/// A role name checked and quoted for SQL. `ALTER ROLE` cannot take its role or password as bind
/// parameters, so the statement is built as text: the name is limited to characters that need
/// no escaping and quoted (`"aegis"`), so it can neither break out of the identifier nor change case.
struct PostgresRoleName: Sendable, CustomStringConvertible {
    let name: String

    init(_ name: String) throws {
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            (scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar))) || scalar == "_" || scalar == "-" || scalar == "."
        }
        guard (1...63).contains(name.utf8.count), allowed else {
            throw StepError.misconfigured("role must be 1–63 characters of ASCII letters, digits, _ - or .")
        }
        self.name = name
    }

    var quoted: String { "\"\(name)\"" }
    var description: String { name }
}
