import AegisChat
import AegisCore
import Testing

@Suite("Parsing commands and durations")
struct ParsingTests {
    @Test func rotateCommands() {
        #expect(ParsedCommand.parse("okta --leaked token in a gist") == .request(secret: "okta", leaked: true, reason: "token in a gist"))
        #expect(ParsedCommand.parse("jwt") == .request(secret: "jwt", leaked: false, reason: ""))
        #expect(ParsedCommand.parse("") == .subcommand(.help, argument: nil))
        #expect(ParsedCommand.parse("  ") == .subcommand(.help, argument: nil))
        #expect(ParsedCommand.parse("status R-2") == .subcommand(.status, argument: "R-2"))
        #expect(ParsedCommand.parse("LIST") == .subcommand(.list, argument: nil))
        guard case .invalid = ParsedCommand.parse("history") else { Issue.record("history without a secret accepted"); return }
        guard case .invalid = ParsedCommand.parse("cancel") else { Issue.record("cancel without an ID accepted"); return }
        guard case .invalid = ParsedCommand.parse("--leaked okta") else { Issue.record("flag first accepted"); return }
        guard case .invalid = ParsedCommand.parse("okta --force") else { Issue.record("unknown flag accepted"); return }
        guard case .invalid = ParsedCommand.parse("okta " + String(repeating: "x", count: 600)) else { Issue.record("huge reason accepted"); return }
    }

    @Test func durations() throws {
        #expect(try DurationText.parse("90s") == .seconds(90))
        #expect(try DurationText.parse("5m") == .seconds(300))
        #expect(try DurationText.parse("24h") == .seconds(86_400))
        #expect(try DurationText.parse("90d") == .seconds(90 * 86_400))
        #expect(try DurationText.parse("1h30m") == .seconds(5_400))
        #expect(try DurationText.parse("250ms") == .milliseconds(250))
        #expect(throws: DurationText.ParseError.self) { try DurationText.parse("soon") }
        #expect(throws: DurationText.ParseError.self) { try DurationText.parse("10") }
        #expect(throws: DurationText.ParseError.self) { try DurationText.parse("") }
        #expect(DurationText.format(.seconds(86_400)) == "24h")
        #expect(DurationText.format(.seconds(90 * 86_400)) == "90d")
        #expect(DurationText.format(.seconds(5_400)) == "1h30m")
    }

    @Test func blockKitLimitsAreEnforced() {
        let long = String(repeating: "a", count: 5_000)
        let buttons = (0..<30).map { ChatButton(text: String(repeating: "b", count: 100), actionID: "x", value: "\($0)") }
        let message = ChatMessage(text: long, blocks: Array(repeating: .section(long), count: 60) + [.actions(buttons)]).limited()
        #expect(message.blocks.count == 50)
        #expect(message.text.count == 4_000)
        for block in message.blocks {
            if case .section(let text) = block { #expect(text.count <= 3_000) }
        }
        let clipped = ChatMessage(text: "t", blocks: [.actions(buttons)]).limited()
        guard case .actions(let kept) = clipped.blocks[0] else { Issue.record("actions lost"); return }
        #expect(kept.count == 25)
        #expect(kept.allSatisfy { $0.text.count <= 75 })
    }
}
