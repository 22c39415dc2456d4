import AegisCore
import Foundation

/// The Web API methods the bot uses, typed.
extension SlackWebClient {
    public struct Identity: Sendable { public let userID: String; public let botID: String?; public let teamID: String? }

    public func authTest() async throws -> Identity {
        let json = try await call("auth.test", .form([:]))
        guard let user = json["user_id"]?.string else { throw SlackAPIError(method: "auth.test", kind: .malformedResponse) }
        return Identity(userID: user, botID: json["bot_id"]?.string, teamID: json["team_id"]?.string)
    }

    /// `apps.connections.open` with this client's token (the app-level `xapp-` token): a fresh,
    /// single-use WebSocket URL.
    public func openConnection() async throws -> String {
        let json = try await call("apps.connections.open", .form([:]))
        guard let url = json["url"]?.string else { throw SlackAPIError(method: "apps.connections.open", kind: .malformedResponse) }
        return url
    }

    /// Posts a message; returns its `ts`.
    @discardableResult
    public func postMessage(channel: String, text: String, blocks: JSONValue?, threadTS: String? = nil) async throws -> (channel: String, ts: String) {
        var body: [String: JSONValue] = ["channel": .string(channel), "text": .string(text)]
        if let blocks { body["blocks"] = blocks }
        if let threadTS { body["thread_ts"] = .string(threadTS) }
        let json = try await call("chat.postMessage", .json(.object(body)))
        guard let ts = json["ts"]?.string else { throw SlackAPIError(method: "chat.postMessage", kind: .malformedResponse) }
        return (json["channel"]?.string ?? channel, ts)
    }

    public func updateMessage(channel: String, ts: String, text: String, blocks: JSONValue?) async throws {
        var body: [String: JSONValue] = ["channel": .string(channel), "ts": .string(ts), "text": .string(text)]
        if let blocks { body["blocks"] = blocks }
        _ = try await call("chat.update", .json(.object(body)))
    }

    public func postEphemeral(channel: String, user: String, text: String, blocks: JSONValue?) async throws {
        var body: [String: JSONValue] = ["channel": .string(channel), "user": .string(user), "text": .string(text)]
        if let blocks { body["blocks"] = blocks }
        _ = try await call("chat.postEphemeral", .json(.object(body)))
    }

    public func openView(triggerID: String, view: JSONValue) async throws {
        _ = try await call("views.open", .json(["trigger_id": .string(triggerID), "view": view]))
    }

    public struct Channel: Sendable, Hashable { public let id: String; public let name: String }

    /// Every channel the bot can see (public and private), following cursors.
    public func listChannels() async throws -> [Channel] {
        var channels: [Channel] = []
        var cursor = ""
        repeat {
            var fields = ["types": "public_channel,private_channel", "limit": "200", "exclude_archived": "true"]
            if !cursor.isEmpty { fields["cursor"] = cursor }
            let json = try await call("conversations.list", .form(fields))
            for channel in json["channels"]?.array ?? [] {
                if let id = channel["id"]?.string, let name = channel["name"]?.string { channels.append(Channel(id: id, name: name)) }
            }
            cursor = json["response_metadata"]?["next_cursor"]?.string ?? ""
        } while !cursor.isEmpty
        return channels
    }

    public func channelInfo(_ id: String) async throws -> Channel {
        let json = try await call("conversations.info", .form(["channel": id]))
        guard let name = json["channel"]?["name"]?.string else { throw SlackAPIError(method: "conversations.info", kind: .malformedResponse) }
        return Channel(id: id, name: name)
    }

    /// Every member of a channel, following `response_metadata.next_cursor` until it is empty.
    public func channelMembers(_ id: String) async throws -> [String] {
        var members: [String] = []
        var cursor = ""
        repeat {
            var fields = ["channel": id, "limit": "200"]
            if !cursor.isEmpty { fields["cursor"] = cursor }
            let json = try await call("conversations.members", .form(fields))
            members += (json["members"]?.array ?? []).compactMap(\.string)
            cursor = json["response_metadata"]?["next_cursor"]?.string ?? ""
        } while !cursor.isEmpty
        return members
    }

    public func userName(_ id: String) async throws -> String {
        let json = try await call("users.info", .form(["user": id]))
        return json["user"]?["name"]?.string ?? id
    }
}
