import AegisCore
@testable import AegisSlack
import SlackWebAPI
import Testing

/// The typed reading of an envelope's payload the router acts on (`SlackInteraction`): every
/// kind, and payloads that lack, mistype or oversize a field. `FuzzInteraction` drives the same
/// parser with arbitrary payloads.
struct SlackInteractionTests {
    func interaction(_ type: String, _ json: String) throws -> SlackInteraction {
        SlackInteraction(envelopeType: type, payload: try JSONValue.parse(json))
    }

    @Test func slashCommandsAndButtonsBecomeTypedRequests() throws {
        guard case .slashCommand("U1", "C1", "jwt quarterly") = try interaction("slash_commands",
            #"{"user_id":"U1","channel_id":"C1","text":"jwt quarterly","trigger_id":"t"}"#) else {
            Issue.record("slash command not read")
            return
        }
        guard case .slashCommand("U1", "C1", "") = try interaction("slash_commands", #"{"user_id":"U1","channel_id":"C1"}"#) else {
            Issue.record("a slash command without text is /rotate help, not dropped")
            return
        }
        guard case .blockAction("U2", "C1", "approve", "R-1", "t2") = try interaction("interactive",
            #"{"type":"block_actions","user":{"id":"U2"},"channel":{"id":"C1"},"trigger_id":"t2","actions":[{"action_id":"approve","value":"R-1"}]}"#) else {
            Issue.record("button not read")
            return
        }
    }

    @Test func theKeyFormCarriesTheTrimmedKeyAndNeverDescribesIt() throws {
        let key = "sk-live-\(UInt64.random(in: 1...UInt64.max))"
        let parsed = try interaction("interactive", #"""
            {"type":"view_submission","user":{"id":"U3"},"view":{"callback_id":"aegis-provide-key","private_metadata":"R-2",
             "state":{"values":{"key_block":{"key_input":{"value":"  \#(key)\n"}}}}}}
            """#)
        guard case .keySubmission("U3", "R-2", let value) = parsed else {
            Issue.record("key form not read: \(parsed)")
            return
        }
        #expect(value.revealSecretBytes() == Array(key.utf8))
        #expect(!parsed.description.contains(key) && !"\(parsed)".contains(key))
    }

    @Test func missingMistypedOrOversizedFieldsAreIgnoredWithAReasonThatNamesNoValue() throws {
        let cases: [(String, String)] = [
            ("slash_commands", #"{"channel_id":"C1","text":"jwt"}"#),
            ("slash_commands", #"{"user_id":"","channel_id":"C1"}"#),
            ("slash_commands", #"{"user_id":1,"channel_id":"C1"}"#),
            ("slash_commands", #"{"user_id":"U1","channel_id":"C1","text":{"a":1}}"#),
            ("slash_commands", #"{"user_id":"U1","channel_id":"C1","text":"\#(String(repeating: "x", count: 9_000))"}"#),
            ("interactive", #"{"type":"block_actions","user":{"id":"U2"},"channel":{"id":"C1"},"actions":[]}"#),
            ("interactive", #"{"type":"block_actions","user":{"id":"U2"},"channel":{"id":"C1"},"actions":[{"value":"R-1"}]}"#),
            ("interactive", #"{"type":"view_submission","user":{"id":"U3"},"view":{"callback_id":"other","private_metadata":"R-2"}}"#),
            ("interactive", #"{"type":"view_submission","user":{"id":"U3"},"view":{"callback_id":"aegis-provide-key"}}"#),
            ("interactive", #"{"type":"shortcut-secret-word"}"#),
            ("interactive", #"[1,2]"#),
            ("events_api", #"{"event_id":"Ev1"}"#),
            ("nonsense", #"{}"#),
        ]
        for (type, json) in cases {
            let parsed = try interaction(type, json)
            guard case .ignored(let reason) = parsed else {
                Issue.record("accepted \(type) \(json.prefix(80)): \(parsed)")
                continue
            }
            #expect(!reason.isEmpty && !reason.contains("xxxxxxxx") && !reason.contains("\"a\""), "\(reason)")
        }
    }
}
