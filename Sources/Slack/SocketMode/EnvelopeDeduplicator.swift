import Foundation
import Synchronization

/// Remembers envelopes already handled so Slack's redeliveries (same envelope ID, or a new one for
/// the same trigger or event) never run twice. Entries live 15 minutes: longer than Slack's
/// redelivery window of about 5 minutes (python-slack-events-api#93). Expired entries leave from
/// the front of an insertion-ordered queue, so each check is O(1) amortised; at most `capacity`
/// keys are kept, oldest dropped first, so a flood cannot grow memory without bound. Keys are
/// kept as 64-bit hashes (a few dozen bytes an entry instead of two heap strings); a false match
/// among 200,000 entries has a probability around 1e-9.
final class EnvelopeDeduplicator: Sendable {
    private struct State {
        var seen: [Int: ContinuousClock.Instant] = [:]
        var order: [(key: Int, at: ContinuousClock.Instant)] = []
        var head = 0
    }

    private let state = Mutex(State())
    private let lifetime: Duration
    private let capacity: Int

    init(lifetime: Duration = .seconds(900), capacity: Int = 200_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// True the first time any of the envelope's keys is seen.
    func isNew(_ envelope: SocketModeEnvelope) -> Bool {
        let now = ContinuousClock.now
        let keys = (["envelope:\(envelope.envelopeID)"] + [envelope.deduplicationKey].compactMap { $0 }).map(\.hashValue)
        return state.withLock { state in
            while state.head < state.order.count,
                  now - state.order[state.head].at > lifetime || state.order.count - state.head > capacity {
                let expired = state.order[state.head]
                if state.seen[expired.key] == expired.at { state.seen[expired.key] = nil }
                state.head += 1
            }
            if state.head > 4_096 && state.head * 2 > state.order.count {
                state.order.removeFirst(state.head)
                state.head = 0
            }
            let duplicate = keys.contains { state.seen[$0] != nil }
            for key in keys {
                state.seen[key] = now
                state.order.append((key, now))
            }
            return !duplicate
        }
    }
}
