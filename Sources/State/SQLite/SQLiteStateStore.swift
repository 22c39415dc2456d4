import AegisCore
import Foundation
import GRDB

/// The embedded state store: one SQLite file in WAL mode (`AEGIS_STATE_URL=sqlite://PATH`).
/// One bot process owns it; CLI commands read it alongside.
public final class SQLiteStateStore: StateStore {
    let pool: any DatabaseWriter
    let encoder: JSONEncoder
    let decoder = JSONDecoder()
    public let path: String?
    /// Seals every audit record (HMAC chain, ``AuditChain``).
    public let auditKey: AuditKey
    public let timerChanges = WakeSignal()

    /// Opens (and with `createIfMissing`, creates) the state file. Read-only CLI commands pass
    /// false: a missing file is then an error, not a new empty store.
    public init(path: String, auditKey: AuditKey, createIfMissing: Bool = true) throws {
        self.path = path
        self.auditKey = auditKey
        guard createIfMissing || FileManager.default.fileExists(atPath: path) else {
            throw StateStoreError("there is no state store at \(path): nothing has run with this AEGIS_STATE_URL (check the setting and the working folder)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try SQLiteSchema.migrator().migrate(pool)
    }

    /// An empty store in memory, for commands that only read the inventory (`list`, `plan`) when
    /// no state file exists: nothing is created on disk.
    public init(inMemoryWith auditKey: AuditKey) throws {
        path = nil
        self.auditKey = auditKey
        pool = try DatabaseQueue()
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try SQLiteSchema.migrator().migrate(pool)
    }

    func encode<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
    func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try decoder.decode(type, from: Data(text.utf8)) }

    // MARK: Rotations

    public func createRotation(secretID: String, audit: AuditEntry, build: @Sendable (Int) -> RotationRecord) async throws -> RotationCreation {
        try await pool.write { db in
            let openStatuses = RotationStatus.allCases.filter(\.isOpen).map(\.rawValue)
            let placeholders = openStatuses.map { _ in "?" }.joined(separator: ",")
            if let open = try String.fetchOne(db, sql: "SELECT data FROM rotation WHERE secret_id = ? AND status IN (\(placeholders)) ORDER BY number LIMIT 1",
                                              arguments: StatementArguments([secretID] + openStatuses)) {
                return .alreadyOpen(try self.decode(RotationRecord.self, open))
            }
            let number = (try Int.fetchOne(db, sql: "SELECT MAX(number) FROM rotation") ?? 0) + 1
            let record = build(number)
            try self.insert(record, db)
            var entry = audit
            entry.rotationID = record.id
            try self.appendAudit(entry, db)
            return .created(record)
        }
    }

    func insert(_ record: RotationRecord, _ db: Database) throws {
        try db.execute(sql: "INSERT INTO rotation (id, number, secret_id, status, data) VALUES (?, ?, ?, ?, ?)",
                       arguments: [record.id, record.number, record.secretID, record.status.rawValue, try encode(record)])
    }

    public func rotation(id: String) async throws -> RotationRecord? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT data FROM rotation WHERE id = ?", arguments: [id]).map { try self.decode(RotationRecord.self, $0) }
        }
    }

    public func rotations(secretID: String) async throws -> [RotationRecord] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT data FROM rotation WHERE secret_id = ? ORDER BY number", arguments: [secretID])
                .map { try self.decode(RotationRecord.self, $0) }
        }
    }

    public func rotations(statuses: Set<RotationStatus>) async throws -> [RotationRecord] {
        let values = statuses.map(\.rawValue)
        guard !values.isEmpty else { return [] }
        return try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT data FROM rotation WHERE status IN (\(values.map { _ in "?" }.joined(separator: ","))) ORDER BY number",
                                arguments: StatementArguments(values))
                .map { try self.decode(RotationRecord.self, $0) }
        }
    }

    public func latestRotations(limit: Int) async throws -> [RotationRecord] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT data FROM rotation ORDER BY number DESC LIMIT ?", arguments: [limit])
                .map { try self.decode(RotationRecord.self, $0) }
        }
    }

    public func updateRotation(id: String, audit: (@Sendable (RotationRecord) -> AuditEntry?)?,
                               _ body: @Sendable (inout RotationRecord) throws -> Void) async throws -> RotationRecord {
        try await pool.write { db in
            guard let text = try String.fetchOne(db, sql: "SELECT data FROM rotation WHERE id = ?", arguments: [id]) else {
                throw StateStoreError("no rotation \(id)")
            }
            var record = try self.decode(RotationRecord.self, text)
            try body(&record)
            try db.execute(sql: "UPDATE rotation SET status = ?, data = ? WHERE id = ?",
                           arguments: [record.status.rawValue, try self.encode(record), id])
            if let entry = audit?(record) { try self.appendAudit(entry, db) }
            return record
        }
    }

    // MARK: Steps

    public func saveStep(_ step: StepRecord) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO step (rotation_id, idx, data) VALUES (?, ?, ?)",
                           arguments: [step.rotationID, step.index, try self.encode(step)])
        }
    }

    public func steps(rotationID: String) async throws -> [StepRecord] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT data FROM step WHERE rotation_id = ? ORDER BY idx", arguments: [rotationID])
                .map { try self.decode(StepRecord.self, $0) }
        }
    }

    // MARK: Timers

    public func scheduleTimer(_ timer: TimerRecord) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO timer (id, kind, rotation_id, due_at, status, data) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [timer.id, timer.kind.rawValue, timer.rotationID, timer.dueAt.timeIntervalSince1970,
                                       timer.status.rawValue, try self.encode(timer)])
        }
        timerChanges.signal()
    }

    public func nextTimerDue() async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(due_at) FROM timer WHERE status = 'pending'").map(Date.init(timeIntervalSince1970:))
        }
    }

    public func dueTimers(now: Date) async throws -> [TimerRecord] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT data FROM timer WHERE status = 'pending' AND due_at <= ? ORDER BY due_at",
                                arguments: [now.timeIntervalSince1970])
                .map { try self.decode(TimerRecord.self, $0) }
        }
    }

    public func claimTimer(id: String, now: Date) async throws -> Bool {
        try await mutateTimer(id: id) { timer in
            guard timer.status == .pending else { return false }
            timer.status = .running
            timer.claimedAt = now
            return true
        }
    }

    public func finishTimer(id: String, status: TimerStatus, note: String?) async throws {
        _ = try await mutateTimer(id: id) { timer in
            guard timer.status != .done, timer.status != .cancelled else { return false }
            timer.status = status
            timer.note = note
            return true
        }
        timerChanges.signal()
    }

    public func rescheduleTimer(id: String, dueAt: Date, note: String?) async throws {
        _ = try await mutateTimer(id: id) { timer in
            timer.status = .pending
            timer.dueAt = dueAt
            timer.note = note
            return true
        }
    }

    /// SQLite is owned by one process: whatever it left running when it died is claimable again.
    public func releaseOrphanedClaims() async throws {
        let running = try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM timer WHERE status = 'running'")
        }
        for id in running {
            _ = try await mutateTimer(id: id) { timer in
                timer.status = .pending
                return true
            }
        }
        timerChanges.signal()
    }

    func mutateTimer(id: String, _ change: @Sendable (inout TimerRecord) -> Bool) async throws -> Bool {
        try await pool.write { db in
            guard let text = try String.fetchOne(db, sql: "SELECT data FROM timer WHERE id = ?", arguments: [id]) else { return false }
            var timer = try self.decode(TimerRecord.self, text)
            guard change(&timer) else { return false }
            try db.execute(sql: "UPDATE timer SET status = ?, due_at = ?, data = ? WHERE id = ?",
                           arguments: [timer.status.rawValue, timer.dueAt.timeIntervalSince1970, try self.encode(timer), id])
            return true
        }
    }

    public func timers(rotationID: String) async throws -> [TimerRecord] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT data FROM timer WHERE rotation_id = ? ORDER BY due_at", arguments: [rotationID])
                .map { try self.decode(TimerRecord.self, $0) }
        }
    }

    public func pendingTimers(kind: TimerKind) async throws -> [TimerRecord] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT data FROM timer WHERE kind = ? AND status IN ('pending', 'running') ORDER BY due_at",
                                arguments: [kind.rawValue])
                .map { try self.decode(TimerRecord.self, $0) }
        }
    }

    // MARK: Audit

    public func appendAudit(_ entry: AuditEntry) async throws -> AuditRecord {
        try await pool.write { db in try self.appendAudit(entry, db) }
    }

    @discardableResult
    func appendAudit(_ entry: AuditEntry, _ db: Database) throws -> AuditRecord {
        let last = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        let sequence = (last?["seq"] as Int? ?? 0) + 1
        let previous = last?["hash"] as String? ?? AuditChain.genesisHash
        let record = AuditChain.seal(entry, sequence: sequence, previousHash: previous, at: Date(), key: auditKey)
        try db.execute(sql: "INSERT INTO audit (seq, body, prev_hash, hash) VALUES (?, ?, ?, ?)",
                       arguments: [record.sequence, record.body, record.previousHash, record.hash])
        return record
    }

    public func auditRecords() async throws -> [AuditRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, body, prev_hash, hash FROM audit ORDER BY seq").map {
                AuditRecord(sequence: $0["seq"], body: $0["body"], previousHash: $0["prev_hash"], hash: $0["hash"])
            }
        }
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}
