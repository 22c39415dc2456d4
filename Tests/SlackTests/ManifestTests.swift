import AegisSlackTestSupport
import Foundation
import Testing
import Yams

@Suite("Slack app manifest")
struct ManifestTests {
    @Test("Socket Mode on, /rotate with a usage hint, interactivity on, exactly the scopes SPEC §5 lists")
    func manifest() throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("deploy/slack-app-manifest.yaml"), encoding: .utf8)
        let manifest = try #require(try Yams.load(yaml: text) as? [String: Any])
        let settings = try #require(manifest["settings"] as? [String: Any])
        #expect(settings["socket_mode_enabled"] as? Bool == true)
        #expect((settings["interactivity"] as? [String: Any])?["is_enabled"] as? Bool == true)
        let commands = try #require((manifest["features"] as? [String: Any])?["slash_commands"] as? [[String: Any]])
        #expect(commands.count == 1 && commands[0]["command"] as? String == "/rotate")
        #expect((commands[0]["usage_hint"] as? String)?.contains("--leaked") == true)
        let scopes = try #require(((manifest["oauth_config"] as? [String: Any])?["scopes"] as? [String: Any])?["bot"] as? [String])
        #expect(Set(scopes) == ["commands", "chat:write", "channels:read", "groups:read", "users:read"])
    }
}
