@testable import AegisApp
@testable import AegisCore
import AegisTestServers
import AegisChat
import Foundation
import Testing

/// Hostile and careless input to the loaders and the command parser: each is refused with file,
/// line and key (or a clear sentence), quickly, and never crashes or hangs.
@Suite("Hostile inventory, config and input")
struct HostileInputTests {
    func parseError(_ text: String) -> InventoryError? {
        do {
            _ = try InventoryLoader.parse(text, file: "Commands/demo-secret.yaml")
            return nil
        } catch {
            return error
        }
    }

    func replacing(_ from: String, _ to: String) -> String {
        InventoryLoaderTests.valid.replacingOccurrences(of: from, with: to)
    }

    @Test("a billion-laughs alias bomb is refused in milliseconds, naming the file")
    func aliasBomb() throws {
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 { bomb += "\(Character(UnicodeScalar(97 + level)!)): &\(Character(UnicodeScalar(97 + level)!)) [" + Array(repeating: "*\(Character(UnicodeScalar(96 + level)!))", count: 9).joined(separator: ", ") + "]\n" }
        let started = ContinuousClock.now
        let error = try #require(parseError(bomb))
        #expect(error.problem.contains("expands to more than"), "\(error)")
        #expect(ContinuousClock.now - started < .seconds(5), "the bomb took \(ContinuousClock.now - started)")
        #expect(throws: AegisConfiguration.Problem.self) { _ = try AegisConfiguration.parseFile(bomb, path: "aegis-rotate.yaml") }
    }

    @Test("non-scalar keys, deep nesting and oversized files are refused")
    func shapes() throws {
        #expect(parseError("? [a, b]\n: 1\n")?.problem.contains("not a plain name") == true)
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(parseError("id: \(deep)\n")?.problem.contains("nests deeper") == true)
        #expect(parseError(String(repeating: "# padding\n", count: 30_000))?.problem.contains("at most") == true)
        #expect(throws: AegisConfiguration.Problem.self) { _ = try AegisConfiguration.parseFile("? {a: 1}\n: x\n", path: "c.yaml") }
    }

    @Test("durations out of range are errors, not crashes")
    func durations() throws {
        for text in ["99999999999999d", "9223372036854775807ms", "3651d", "1000000000000000000000s"] {
            #expect(throws: DurationText.ParseError.self, "\(text)") { try DurationText.parse(text) }
        }
        #expect(try DurationText.parse("3650d") == .seconds(3_650 * 86_400))
        #expect(parseError(replacing("every: 30d", "every: 99999999999999d"))?.key == "every")
        #expect(throws: AegisConfiguration.Problem.self) { try AegisConfiguration(environment: ["AEGIS_APPROVAL_TTL": "99999999999999d"]) }
    }

    @Test("secret sizes below their format's strength, or not numbers, are refused")
    func sizes() throws {
        for bytes in ["-1", "0", "1", "31", "lots", "4097"] {
            let text = replacing("format: jwt-hs256", "format: random-base64\n      bytes: \"\(bytes)\"")
            let error = try #require(parseError(text), "bytes: \(bytes) was accepted")
            #expect(error.key.hasSuffix(".bytes") && error.problem.contains("out of range"), "\(error)")
        }
        #expect(parseError(replacing("format: jwt-hs256", "format: random-base64\n      bytes: \"48\"")) == nil)
        #expect(parseError(replacing("format: jwt-hs256", "format: alphanumeric\n      length: \"8\""))?.key.hasSuffix(".length") == true)
    }

    @Test("names are checked for the system that uses them: no path or API escapes")
    func names() throws {
        #expect(parseError(replacing("namespace: aegis", "namespace: ../../escaped"))?.key == "deploy.namespace")
        #expect(parseError(replacing("namespace: aegis", "namespace: aegis\n  configmap: ../x"))?.key == "deploy.configmap")
        #expect(parseError(replacing("namespace: aegis", "namespace: aegis\n  deployment: Bad_Name"))?.key == "deploy.deployment")
        #expect(parseError(replacing("name: aegis/demo", "name: aegis/../../etc"))?.key == "storage.name")
        #expect(parseError(replacing("name: aegis/demo", "name: \"aegis demo\""))?.key == "storage.name")
        #expect(parseError(replacing("name: aegis/demo", "name: /absolute"))?.key == "storage.name")
    }

    @Test("aliases that collide with subcommands or rotation IDs, or cannot be typed, are refused at load")
    func reservedAliases() throws {
        for alias in ["list", "help", "R-1", "Bad Name", "ünïcode"] {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aliases-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try InventoryLoaderTests.valid.replacingOccurrences(of: "title: Demo", with: "title: Demo\naliases: [\"\(alias)\"]")
                .write(to: folder.appendingPathComponent("demo-secret.yaml"), atomically: true, encoding: .utf8)
            #expect(throws: InventoryLoadError.self, "alias \(alias) was accepted") { _ = try InventoryLoader.load(directory: folder) }
        }
    }

    @Test("config typos and bad values are errors (exit 4), never silent defaults")
    func configuration() throws {
        for (key, value) in [("AEGIS_STEP_ATTEMPTS", "abc"), ("AEGIS_STEP_ATTEMPTS", "0"), ("AEGIS_TIMER_POLL", "0s"),
                             ("AEGIS_SOCKET_CONNECTIONS", "11"), ("AEGIS_PROVIDER_TIMEOUT", "soon"), ("AEGIS_SHUTDOWN_GRACE", "30s")] {
            #expect(throws: AegisConfiguration.Problem.self, "\(key)=\(value) was accepted") { try AegisConfiguration(environment: [key: value]) }
        }
        #expect(throws: AegisConfiguration.Problem.self) { _ = try AegisConfiguration.parseFile("shell:\n  users: [alice, 42]\n", path: "c.yaml") }
        #expect(throws: AegisConfiguration.Problem.self) { _ = try AegisConfiguration.parseFile("shell:\n  users: [alice, Alice]\n", path: "c.yaml") }
        #expect(throws: AegisConfiguration.Problem.self) { _ = try AegisConfiguration.parseFile("AEGIS_ENV: [local]\n", path: "c.yaml") }
        let parsed = try AegisConfiguration.parseFile("AEGIS_ENV: local\nshell:\n  users: [Alice, bob]\n  approvers: [CAROL]\n", path: "c.yaml")
        #expect(parsed.0["AEGIS_ENV"] == "local")
        #expect(parsed.1?.users == ["alice", "bob"])
        #expect(parsed.1?.approvers == ["carol"])
    }

    @Test("typed input is capped and dash typos of --leaked are refused")
    func commandInput() {
        let started = ContinuousClock.now
        guard case .invalid = ParsedCommand.parse(String(repeating: "x", count: 1_000_000)) else { Issue.record("a 1 MB line was accepted"); return }
        guard case .invalid = ParsedCommand.parse(String(repeating: "y", count: 65)) else { Issue.record("a 65-character name was accepted"); return }
        #expect(ContinuousClock.now - started < .seconds(2))
        for typo in ["-leaked", "—leaked", "–leaked"] {
            guard case .invalid(let message) = ParsedCommand.parse("jwt \(typo)") else { Issue.record("\(typo) became a reason"); continue }
            #expect(message.contains("Did you mean `--leaked`?"))
        }
    }

    @Test("what people type is escaped for Slack and for terminals")
    func escaping() {
        let reason = UserText.mark("<!channel> <https://evil.example|Approve here> & \u{1B}]0;pwned\u{07}\r")
        let slack = UserText.slack("*Reason* \(reason) <@U0BOT>")
        #expect(slack.contains("&lt;!channel&gt; &lt;https://evil.example|Approve here&gt; &amp;"))
        #expect(slack.hasSuffix("<@U0BOT>"), "the bot's own mention must stay a mention")
        #expect(!slack.contains("<!channel>"))
        let terminal = UserText.terminal("reason: \(reason)")
        #expect(!terminal.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x0D })
        #expect(terminal.contains("\\u{1B}]0;pwned\\u{7}\\u{D}"))
        #expect(!UserText.plain(UserText.mark("a\u{E001}b\u{E000}c")).contains("\u{E000}"), "typed marks are dropped")
    }

    /// Random YAML (anchors, aliases, deep nesting, odd scalars, random bytes) through both
    /// loaders: every input ends in a value or an error, each within a bound.
    @Test("property: random YAML never crashes or hangs the Commands and config loaders")
    func randomYAML() throws {
        var generator = SplitMix(seed: 0xAE615)
        let pieces = ["id: ", "demo-secret", "&a ", "*a", "[", "]", "{", "}", ": ", "- ", "\n", "  ", "? ", "!!str ", "!!binary ",
                      "\"\\u0000\"", "'x'", "|\n  text\n", "99999999999999d", "-1", "0x1F", ".inf", "~", "null", "<<: *a\n",
                      "storage:\n  kind: aws-secrets-manager\n  name: ", "strategies:\n  s:\n    - kind: generate\n      format: ", "#", ",", "\u{FEFF}", "é"]
        let started = ContinuousClock.now
        for _ in 0..<2_000 {
            let count = Int(generator.next() % 40)
            let text = (0..<count).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined()
            let one = ContinuousClock.now
            _ = parseError(text)
            _ = try? AegisConfiguration.parseFile(text, path: "fuzz.yaml")
            #expect(ContinuousClock.now - one < .seconds(2), "input took too long: \(text.debugDescription.prefix(200))")
        }
        #expect(ContinuousClock.now - started < .seconds(60))
    }
}

/// A small deterministic generator, so a failing input can be found again.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
