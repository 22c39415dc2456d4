import Foundation

/// Text a person typed (a reason, a name they asked for), marked where a message embeds it so
/// that each front end escapes it for its own output: in Slack, `&`, `<` and `>` become entities
/// (so `<!channel>` pings nobody and `<https://…|Approve here>` is no disguised link); in a
/// terminal, control characters (ESC, OSC, CR, …) are shown, not obeyed. Bot-authored markup
/// around the mark (bold, code, the bot's own mentions) keeps working.
///
/// The mark is a pair of private-use characters that typed text cannot bring in (they are removed
/// from it); a transport that forgets to render the marks shows them, never raw user text.
public enum UserText {
    static let open: Character = "\u{E000}"
    static let close: Character = "\u{E001}"

    /// `text`, marked as typed by a person.
    public static func mark(_ text: some StringProtocol) -> String {
        String(open) + text.filter { $0 != open && $0 != close } + String(close)
    }

    /// For Slack mrkdwn and fallback text: marked spans escaped as Slack asks (`& < >`).
    public static func slack(_ text: String) -> String {
        render(text) { span in
            span.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
    }

    /// For Slack plain_text fields (headers, buttons): marks removed; Slack shows plain text as is.
    public static func plain(_ text: String) -> String { render(text) { String($0) } }

    /// For a terminal: marks removed and every control character other than newline and tab,
    /// anywhere in the text, shown as a visible `\u{…}` escape.
    public static func terminal(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in plain(text).unicodeScalars {
            let value = scalar.value
            if value == 0x0A || value == 0x09 || !(value < 0x20 || (0x7F...0x9F).contains(value)) {
                out.unicodeScalars.append(scalar)
            } else {
                out += "\\u{\(String(value, radix: 16, uppercase: true))}"
            }
        }
        return out
    }

    static func render(_ text: String, _ escape: (Substring) -> String) -> String {
        guard text.contains(open) else { return text }
        var out = ""
        var rest = Substring(text)
        while let start = rest.firstIndex(of: open) {
            out += rest[..<start]
            let body = rest[rest.index(after: start)...]
            let end = body.firstIndex(of: close) ?? body.endIndex
            out += escape(body[..<end])
            rest = end == body.endIndex ? body[end...] : body[body.index(after: end)...]
        }
        return out + rest.filter { $0 != close }
    }
}
