import Foundation

/// Remembers envelopes already handled so Slack's redeliveries (same envelope ID, or a new one for
/// the same trigger or event) never run twice. Entries live 15 minutes: longer than Slack's
/// redelivery window of about 5 minutes (python-slack-events-api#93).
actor EnvelopeDeduplicator {
    private var seen: [String: ContinuousClock.Instant] = [:]
    private let lifetime: Duration

    init(lifetime: Duration = .seconds(900)) { self.lifetime = lifetime }

    /// True the first time any of the envelope's keys is seen.
    func isNew(_ envelope: SocketModeEnvelope) -> Bool {
        let now = ContinuousClock.now
        if seen.count > 10_000 { seen = seen.filter { now - $0.value < lifetime } }
        let keys = ["envelope:\(envelope.envelopeID)"] + [envelope.deduplicationKey].compactMap { $0 }
        let duplicate = keys.contains { key in seen[key].map { now - $0 < lifetime } ?? false }
        for key in keys { seen[key] = now }
        return !duplicate
    }
}
