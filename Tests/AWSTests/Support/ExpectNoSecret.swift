import Testing

/// Which of `secrets` appear in `text` (or, with `pieces`, their first 16 characters), named by
/// index only ("secret #2", "part of secret #0"), never by value.
func secretFindings(in text: String, _ secrets: [String], pieces: Bool = false) -> [String] {
    var findings: [String] = []
    for (index, secret) in secrets.enumerated() where !secret.isEmpty {
        if text.contains(secret) {
            findings.append("secret #\(index)")
        } else if pieces, text.contains(String(secret.prefix(16))) {
            findings.append("part of secret #\(index)")
        }
    }
    return findings
}

/// Records an issue for each finding, naming `context` only: a failing
/// `#expect(!text.contains(secret))` would print the secret itself into the test output.
func expectNoSecret(in text: String, _ secrets: [String], pieces: Bool = false, context: String,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    for finding in secretFindings(in: text, secrets, pieces: pieces) {
        Issue.record("\(finding) appears in \(context)", sourceLocation: sourceLocation)
    }
}
