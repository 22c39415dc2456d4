import Crypto
import Foundation

/// The audit log's hash chain: `hash = SHA-256(previousHash + "\n" + body)`, starting from 64 zeros.
///
/// It proves the log was not edited, reordered or cut in the middle. It cannot by itself prove the
/// newest records were not dropped from the end; export the latest hash (`audit verify` prints it)
/// somewhere append-only if you need that.
public enum AuditChain {
    public static let genesisHash = String(repeating: "0", count: 64)

    public static func seal(_ entry: AuditEntry, sequence: Int, previousHash: String, at date: Date) -> AuditRecord {
        let body = SealedAuditBody(
            sequence: sequence, at: timestamp(date), actor: entry.actor, action: entry.action,
            rotationID: entry.rotationID, secretID: entry.secretID, details: entry.details)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: (try? encoder.encode(body)) ?? Data(), as: UTF8.self)
        return AuditRecord(sequence: sequence, body: text, previousHash: previousHash,
                           hash: hash(previousHash: previousHash, body: text))
    }

    public static func hash(previousHash: String, body: String) -> String {
        SHA256.hash(data: Data((previousHash + "\n" + body).utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The first record that breaks the chain, or nil when the whole log is intact.
    public static func verify(_ records: [AuditRecord]) -> AuditVerification {
        var expectedPrevious = genesisHash
        for (offset, record) in records.enumerated() {
            let expectedSequence = offset + 1
            if record.sequence != expectedSequence {
                return .broken(sequence: record.sequence, reason: "expected record #\(expectedSequence) here: a record is missing or out of order")
            }
            if record.previousHash != expectedPrevious {
                return .broken(sequence: record.sequence, reason: "its link to the previous record does not match")
            }
            if hash(previousHash: record.previousHash, body: record.body) != record.hash {
                return .broken(sequence: record.sequence, reason: "its content does not match its hash (changed after it was written)")
            }
            guard let body = record.entry, body.sequence == record.sequence else {
                return .broken(sequence: record.sequence, reason: "its body does not parse or names another sequence number")
            }
            expectedPrevious = record.hash
        }
        return .intact(count: records.count, headHash: expectedPrevious)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

public enum AuditVerification: Sendable, Equatable {
    case intact(count: Int, headHash: String)
    case broken(sequence: Int, reason: String)
}
