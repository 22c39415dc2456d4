import Foundation
import SlackWebAPI

/// The Web API methods, answered the way Slack answers them: HTTP 200 with `ok`, Slack's error
/// codes, cursor pagination, 429 with `Retry-After` when a fault is injected or, with
/// ``SlackFakeLimits`` on, when a call is over Slack's limits.
extension SlackFakeState {
    struct Reply {
        var status: Int = 200
        var retryAfter: Int?
        var body: JSONValue
    }

    static func error(_ code: String) -> Reply { Reply(body: ["ok": false, "error": .string(code)]) }

    func answer(method: String, body: JSONValue, tokenKind: String, port: Int) -> Reply {
        calls.append(FakeAPICall(method: method, body: body, tokenKind: tokenKind, at: .now))
        transcript.append("\(method) \(body.text)")
        if var limit = rateLimits[method], limit.times > 0 {
            limit.times -= 1
            rateLimits[method] = limit
            rateLimited[method, default: 0] += 1
            return Reply(status: 429, retryAfter: limit.retryAfter, body: ["ok": false, "error": "ratelimited"])
        }
        if tokenKind == "xoxb", let retryAfter = limiter?.admit(method: method, channel: channelID(body["channel"]?.string ?? "") ?? "") {
            rateLimited[method, default: 0] += 1
            return Reply(status: 429, retryAfter: retryAfter, body: ["ok": false, "error": "ratelimited"])
        }
        if method == "apps.connections.open" {
            guard tokenKind == "xapp" else { return Self.error("invalid_auth") }
            return openConnection(port: port)
        }
        guard tokenKind == "xoxb" else { return Self.error(tokenKind == "none" ? "not_authed" : "invalid_auth") }
        let field = { (name: String) in body[name]?.string ?? "" }
        switch method {
        case "auth.test":
            return Reply(body: ["ok": true, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T0001", "user": "aegis-rotate"])
        case "chat.postMessage":
            guard let channel = channelID(field("channel")) else { return Self.error("channel_not_found") }
            guard !field("text").isEmpty || body["blocks"] != nil else { return Self.error("no_text") }
            if let blocks = body["blocks"]?.array, blocks.count > 50 { return Self.error("invalid_blocks") }
            let thread = body["thread_ts"]?.string
            if let thread, !messages.contains(where: { $0.channel == channel && $0.ts == thread }) { return Self.error("thread_not_found") }
            let message = FakeMessage(channel: channel, ts: nextTS(), threadTS: thread, text: field("text"), blocks: body["blocks"], updates: 0)
            messages.append(message)
            return Reply(body: ["ok": true, "channel": .string(channel), "ts": .string(message.ts)])
        case "chat.update":
            guard let channel = channelID(field("channel")) else { return Self.error("channel_not_found") }
            guard let index = messages.firstIndex(where: { $0.channel == channel && $0.ts == field("ts") }) else { return Self.error("message_not_found") }
            messages[index].text = field("text")
            messages[index].blocks = body["blocks"]
            messages[index].updates += 1
            return Reply(body: ["ok": true, "channel": .string(channel), "ts": .string(field("ts"))])
        case "chat.postEphemeral":
            guard let channel = channelID(field("channel")) else { return Self.error("channel_not_found") }
            guard users[field("user")] != nil else { return Self.error("user_not_found") }
            ephemerals.append(FakeEphemeral(channel: channel, user: field("user"), text: field("text")))
            return Reply(body: ["ok": true, "message_ts": .string(nextTS())])
        case "views.open":
            guard triggers.remove(field("trigger_id")) != nil else { return Self.error("expired_trigger_id") }
            guard let view = body["view"] else { return Self.error("invalid_arguments") }
            views.append(view)
            return Reply(body: ["ok": true, "view": ["id": .string("V\(views.count)")]])
        case "conversations.list":
            let all = channels.map { JSONValue.object(["id": .string($0.id), "name": .string($0.name), "is_private": .bool($0.isPrivate)]) }
            return page(all, key: "channels", body: body)
        case "conversations.info":
            guard let found = channels.first(where: { $0.id == field("channel") }) else { return Self.error("channel_not_found") }
            return Reply(body: ["ok": true, "channel": ["id": .string(found.id), "name": .string(found.name)]])
        case "conversations.members":
            guard let found = channels.first(where: { $0.id == field("channel") }) else { return Self.error("channel_not_found") }
            return page(found.members.map { JSONValue.string($0) }, key: "members", body: body)
        case "users.info":
            guard let name = users[field("user")] else { return Self.error("user_not_found") }
            return Reply(body: ["ok": true, "user": ["id": .string(field("user")), "name": .string(name)]])
        default:
            return Self.error("unknown_method")
        }
    }

    func openConnection(port: Int) -> Reply {
        if failConnectionsOpen > 0 {
            failConnectionsOpen -= 1
            return Self.error("internal_error")
        }
        connectionsOpened += 1
        let ticket = UUID().uuidString.lowercased()
        tickets.insert(ticket)
        return Reply(body: ["ok": true, "url": .string("ws://127.0.0.1:\(port)/link/?ticket=\(ticket)&app_id=A0AEGIS")])
    }

    /// Cursor pagination as Slack does it: `limit`, an opaque `cursor`, `response_metadata.next_cursor`.
    func page(_ items: [JSONValue], key: String, body: JSONValue) -> Reply {
        let limit = min(Int(body["limit"]?.string ?? "") ?? pageSize, pageSize)
        let start = body["cursor"]?.string.flatMap { Data(base64Encoded: $0) }.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
        let end = min(items.count, start + limit)
        let next = end < items.count ? Data("\(end)".utf8).base64EncodedString() : ""
        var object: [String: JSONValue] = ["ok": true, "response_metadata": ["next_cursor": .string(next)]]
        object[key] = .array(Array(items[min(start, end)..<end]))
        return Reply(body: .object(object))
    }
}
