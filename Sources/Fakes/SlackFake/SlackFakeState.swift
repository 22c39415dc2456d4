import Foundation
import NIOCore
import SlackWebAPI

/// Everything the fake knows: the workspace, what was posted, the sockets, unacked envelopes,
/// injected faults, and a transcript of every byte exchanged (for leak scans).
actor SlackFakeState {
    struct Socket {
        let id: Int
        let send: AsyncStream<String>.Continuation
        let channel: any Channel
    }

    struct Pending {
        var frame: [String: JSONValue]
        var sentAt: ContinuousClock.Instant
        var attempts: Int
    }

    var users: [String: String] = [:]
    var channels: [(id: String, name: String, members: [String], isPrivate: Bool)] = []
    var pageSize = 100
    var calls: [FakeAPICall] = []
    var messages: [FakeMessage] = []
    var ephemerals: [FakeEphemeral] = []
    var views: [JSONValue] = []
    var transcript: [String] = []
    var tickets: Set<String> = []
    var connectionsOpened = 0
    var failConnectionsOpen = 0
    var rateLimits: [String: (times: Int, retryAfter: Int)] = [:]
    var rateLimited: [String: Int] = [:]
    var limiter: SlackFakeLimiter?
    var sockets: [Int: Socket] = [:]
    var nextSocket = 0
    var roundRobin = 0
    var pending: [String: Pending] = [:]
    var acks: [String: FakeAck] = [:]
    var loseAcks = 0
    var triggers: Set<String> = []
    var tsCounter = 0

    func record(_ text: String) { transcript.append(text) }

    func nextTS() -> String {
        tsCounter += 1
        return String(format: "1700000000.%06d", tsCounter)
    }

    func channelID(_ idOrName: String) -> String? {
        let name = idOrName.hasPrefix("#") ? String(idOrName.dropFirst()) : idOrName
        return channels.first { $0.id == idOrName || $0.name == name }?.id
    }

    // MARK: Sockets

    func addSocket(send: AsyncStream<String>.Continuation, channel: any Channel) -> Int {
        nextSocket += 1
        sockets[nextSocket] = Socket(id: nextSocket, send: send, channel: channel)
        return nextSocket
    }

    func removeSocket(_ id: Int) { sockets[id] = nil }

    /// Sends on one socket, round robin, as Slack spreads envelopes over an app's connections.
    func sendOnOneSocket(_ text: String) -> Bool {
        let ids = sockets.keys.sorted()
        guard !ids.isEmpty else { return false }
        roundRobin += 1
        sockets[ids[roundRobin % ids.count]]?.send.yield(text)
        transcript.append(text)
        return true
    }

    /// Sends on every open socket; returns how many.
    func broadcastToSockets(_ text: String) -> Int {
        broadcast(text)
        return sockets.count
    }

    func broadcast(_ text: String) {
        for socket in sockets.values { socket.send.yield(text) }
        transcript.append(text)
    }

    func track(_ frame: [String: JSONValue], id: String) {
        pending[id] = Pending(frame: frame, sentAt: .now, attempts: 1)
    }

    /// An ack arrived; returns false when the fake was told to lose it.
    func acknowledge(_ id: String, payload: JSONValue?, receivedAt: ContinuousClock.Instant) {
        guard let entry = pending[id] else { return }
        if loseAcks > 0 {
            loseAcks -= 1
            return
        }
        pending[id] = nil
        acks[id] = FakeAck(envelopeID: id, payload: payload, latency: receivedAt - entry.sentAt)
    }

    /// Envelopes unacked for longer than `after`, marked as sent again (retry_attempt + 1).
    func dueForRedelivery(after: Duration) -> [String] {
        var frames: [String] = []
        for (id, entry) in pending where ContinuousClock.now - entry.sentAt > after && entry.attempts < 4 {
            var frame = entry.frame
            frame["retry_attempt"] = .number(Double(entry.attempts))
            frame["retry_reason"] = "timeout"
            pending[id] = Pending(frame: entry.frame, sentAt: .now, attempts: entry.attempts + 1)
            frames.append(JSONValue.object(frame).text)
        }
        return frames
    }

    func closeSockets(abruptly: Bool) -> [any Channel] {
        let all = sockets.values.map(\.channel)
        if !abruptly { for socket in sockets.values { socket.send.finish() } }
        return all
    }
}
