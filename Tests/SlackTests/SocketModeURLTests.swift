import Testing
@testable import SlackSocketMode

@Suite("Socket Mode URL")
struct SocketModeURLTests {
    @Test("wss with Slack's ticket query: default port, path and query kept, Host without the port")
    func slackURL() throws {
        let url = try SocketModeURL("wss://wss-primary.example.test/link/?ticket=abc-123&app_id=A1")
        #expect(url.secure)
        #expect(url.host == "wss-primary.example.test")
        #expect(url.port == 443)
        #expect(url.path == "/link/?ticket=abc-123&app_id=A1")
        #expect(url.hostHeader == "wss-primary.example.test")
        #expect(url.serverName == "wss-primary.example.test")
    }

    @Test("a local ws:// URL on an address: explicit port in Host, no path becomes /, SNI name localhost")
    func localURL() throws {
        let url = try SocketModeURL("ws://127.0.0.1:38211")
        #expect(!url.secure)
        #expect(url.port == 38_211)
        #expect(url.path == "/")
        #expect(url.hostHeader == "127.0.0.1:38211")
        #expect(url.serverName == "localhost")
    }

    @Test("no WebSocket URL is refused, and the error does not repeat the ticket", arguments: [
        "https://example.test/link?ticket=secret-ticket", "wss://?ticket=secret-ticket", "not a url at all", "",
    ])
    func refused(_ text: String) {
        #expect {
            _ = try SocketModeURL(text)
        } throws: { error in
            "\(error)".contains("apps.connections.open") && !"\(error)".contains("secret-ticket")
        }
    }
}
