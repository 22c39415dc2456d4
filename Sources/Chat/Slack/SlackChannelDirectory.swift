import SlackWebAPI

/// Resolves channel names (`security-ops`, `#platform-support`) to IDs once, with
/// `conversations.list`, and remembers them. IDs pass through unchanged.
public actor SlackChannelDirectory {
    let api: SlackWebClient
    private var byName: [String: String] = [:]
    private var loaded = false

    public init(api: SlackWebClient) { self.api = api }

    public func id(for nameOrID: String) async throws -> String {
        let name = nameOrID.hasPrefix("#") ? String(nameOrID.dropFirst()) : nameOrID
        if Self.looksLikeID(name) { return name }
        if let id = byName[name] { return id }
        if !loaded || byName[name] == nil {
            for channel in try await api.listChannels() { byName[channel.name] = channel.id }
            loaded = true
        }
        guard let id = byName[name] else { throw SlackAPIError(method: "conversations.list", kind: .slack(code: "channel_not_found:\(name)")) }
        return id
    }

    static func looksLikeID(_ text: String) -> Bool {
        guard let first = text.first, "CGD".contains(first), text.count >= 9 else { return false }
        return text.allSatisfy { $0.isUppercase || $0.isNumber }
    }
}
