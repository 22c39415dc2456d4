import Foundation

/// The newest audit record a verifier has seen: its sequence number and keyed hash. A chain cut at
/// the end still verifies by itself; compared with a head seen earlier it does not, because the
/// record that head names is gone (or has another hash). `audit verify` keeps the head it saw in a
/// file (beside the state store, or wherever `--head` says, ideally somewhere the state store's
/// writers cannot reach) and checks the log against it the next time.
public struct AuditHead: Codable, Sendable, Equatable {
    public var sequence: Int
    public var hash: String
    public var seenAt: String

    public init(sequence: Int, hash: String, seenAt: String) {
        self.sequence = sequence
        self.hash = hash
        self.seenAt = seenAt
    }

    /// Nil when `records` still hold this head; else what happened to it.
    public func problem(in records: [AuditRecord]) -> String? {
        guard sequence > 0 else { return nil }
        guard sequence <= records.count else {
            return "the log ends at record #\(records.count), but record #\(sequence) was seen on \(seenAt): records were deleted from the end"
        }
        let record = records[sequence - 1]
        guard record.sequence == sequence, record.hash == hash else {
            return "record #\(sequence) is not the one seen on \(seenAt): the log was cut and rewritten from there"
        }
        return nil
    }

    public static func load(_ path: String) -> AuditHead? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(AuditHead.self, from: data)
    }

    public func save(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
