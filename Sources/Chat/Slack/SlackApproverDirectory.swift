import AegisCore
import Foundation
import SlackWebAPI

/// Approvers are the members of the approver channel (`conversations.members`, every page),
/// cached briefly and asked at click time, so someone removed from `#security-ops` loses the
/// right within the cache's lifetime.
public actor SlackApproverDirectory: ApproverDirectory {
    public nonisolated let groupName: String
    let api: SlackWebClient
    let channels: SlackChannelDirectory
    let cacheLifetime: Duration
    private var members: Set<String> = []
    private var fetchedAt: ContinuousClock.Instant?

    public init(api: SlackWebClient, channels: SlackChannelDirectory, channel: String, cacheLifetime: Duration = .seconds(60)) {
        self.api = api
        self.channels = channels
        self.groupName = channel.hasPrefix("#") ? String(channel.dropFirst()) : channel
        self.cacheLifetime = cacheLifetime
    }

    public func isApprover(_ user: String) async throws -> Bool {
        if fetchedAt.map({ ContinuousClock.now - $0 > cacheLifetime }) ?? true {
            members = Set(try await api.channelMembers(try await channels.id(for: groupName)))
            fetchedAt = .now
        }
        return members.contains(SlackUsers.userID(fromMention: user))
    }
}
