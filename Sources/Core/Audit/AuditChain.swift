import Crypto
import Foundation

/// The audit log's keyed chain: `hash = HMAC-SHA-256(key, previousHash + "\n" + body)`, starting
/// from 64 zeros.
///
/// Without the key nobody can write a record that verifies, so the chain proves the log was not
/// edited, reordered, cut in the middle, forged or re-chained. Dropping the newest records leaves
/// a shorter chain that still verifies: ``AuditHead`` (what `audit verify` saw last) and the
/// cross-check of every rotation's status against its records (``AuditCrossCheck``) catch that.
public enum AuditChain {
    public static let genesisHash = String(repeating: "0", count: 64)

    public static func seal(_ entry: AuditEntry, sequence: Int, previousHash: String, at date: Date, key: AuditKey) -> AuditRecord {
        let body = SealedAuditBody(
            sequence: sequence, at: timestamp(date), actor: entry.actor, action: entry.action,
            rotationID: entry.rotationID, secretID: entry.secretID, details: entry.details)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: (try? encoder.encode(body)) ?? Data(), as: UTF8.self)
        return AuditRecord(sequence: sequence, body: text, previousHash: previousHash,
                           hash: hash(previousHash: previousHash, body: text, key: key))
    }

    public static func hash(previousHash: String, body: String, key: AuditKey) -> String {
        key.mac(previousHash + "\n" + body)
    }

    /// The first record that breaks the chain, or nil when the whole log is intact.
    public static func verify(_ records: [AuditRecord], key: AuditKey) -> AuditVerification {
        var expectedPrevious = genesisHash
        for (offset, record) in records.enumerated() {
            let expectedSequence = offset + 1
            if record.sequence != expectedSequence {
                return .broken(sequence: record.sequence, reason: "expected record #\(expectedSequence) here: a record is missing or out of order")
            }
            if record.previousHash != expectedPrevious {
                return .broken(sequence: record.sequence, reason: "its link to the previous record does not match")
            }
            if hash(previousHash: record.previousHash, body: record.body, key: key) != record.hash {
                return .broken(sequence: record.sequence, reason: "its content does not match its keyed hash (changed or forged after it was written, or a different AEGIS_AUDIT_KEY)")
            }
            guard let body = record.entry, body.sequence == record.sequence else {
                return .broken(sequence: record.sequence, reason: "its body does not parse or names another sequence number")
            }
            expectedPrevious = record.hash
        }
        return .intact(count: records.count, headHash: expectedPrevious)
    }

    static func timestamp(_ date: Date) -> String { Timestamps.iso8601Fractional(date) }
}

public enum AuditVerification: Sendable, Equatable {
    case intact(count: Int, headHash: String)
    case broken(sequence: Int, reason: String)
    /// The chain holds, but rotations' statuses are not backed by their records (``AuditCrossCheck``).
    case inconsistent(count: Int, problems: [String])
}
