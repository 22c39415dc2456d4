import AegisCore
import Foundation
import GRDB

/// The embedded state store: one SQLite file in WAL mode (`AEGIS_STATE_URL=sqlite://PATH`).
/// One bot process owns it; CLI commands read it alongside.
public final class SQLiteStateStore: TimerRowStore {
    let pool: any DatabaseWriter
    let coding = StateRecordCoding()
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
        try SQLiteSchema.migrator().migrate(pool)
    }

    /// An empty store in memory, for commands that only read the inventory (`list`, `plan`) when
    /// no state file exists: nothing is created on disk.
    public init(inMemoryWith auditKey: AuditKey) throws {
        path = nil
        self.auditKey = auditKey
        pool = try DatabaseQueue()
        try SQLiteSchema.migrator().migrate(pool)
    }

    /// A write transaction that first checks and extends the caller's lease
    /// (``LeaseContext/current``), so nothing is written by a process that lost it.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let lease = LeaseContext.current
        return try await pool.write { db in
            if let lease { try Self.extend(lease, db) }
            return try body(db)
        }
    }

    func encode<T: Encodable>(_ value: T) throws -> String { try coding.encode(value) }
    func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try coding.decode(type, text) }

    // MARK: Rotations

    public func createRotation(secretID: String, audit: AuditEntry, build: @escaping @Sendable (Int) -> RotationRecord) async throws -> RotationCreation {
        try await write { db in
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
                       arguments: [record.id.rawValue, record.number, record.secretID, record.status.rawValue, try encode(record)])
    }

    public func rotation(id: RotationID) async throws -> RotationRecord? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT data FROM rotation WHERE id = ?", arguments: [id.rawValue]).map { try self.decode(RotationRecord.self, $0) }
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

    public func updateRotation(id: RotationID, audit: (@Sendable (RotationRecord) -> AuditEntry?)?,
                               _ body: @escaping @Sendable (inout RotationRecord) throws -> Void) async throws -> RotationRecord {
        try await write { db in
            guard let text = try String.fetchOne(db, sql: "SELECT data FROM rotation WHERE id = ?", arguments: [id.rawValue]) else {
                throw StateStoreError("no rotation \(id)")
            }
            var record = try self.decode(RotationRecord.self, text)
            try body(&record)
            try db.execute(sql: "UPDATE rotation SET status = ?, data = ? WHERE id = ?",
                           arguments: [record.status.rawValue, try self.encode(record), id.rawValue])
            if let entry = audit?(record) { try self.appendAudit(entry, db) }
            return record
        }
    }

    // MARK: Steps

    public func saveStep(_ step: StepRecord, audit: AuditEntry?) async throws {
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO step (rotation_id, idx, data) VALUES (?, ?, ?)",
                           arguments: [step.rotationID.rawValue, step.index, try self.encode(step)])
            if let audit { try self.appendAudit(audit, db) }
        }
    }

    public func steps(rotationID: RotationID) async throws -> [StepRecord] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT data FROM step WHERE rotation_id = ? ORDER BY idx", arguments: [rotationID.rawValue])
                .map { try self.decode(StepRecord.self, $0) }
        }
    }

    // MARK: Timers

    public func scheduleTimer(_ timer: TimerRecord) async throws {
        try await write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO timer (id, kind, rotation_id, due_at, status, data) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [timer.id, timer.kind.rawValue, timer.rotationID?.rawValue, timer.dueAt.timeIntervalSince1970,
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
            try String.fetchAll(db, sql: """
                SELECT data FROM timer WHERE due_at <= ? AND (status = 'pending' OR (status = 'running' AND NOT EXISTS (
                    SELECT 1 FROM lease WHERE lease.name = 'timer:' || timer.id AND lease.expires_at > ?)))
                ORDER BY due_at
                """, arguments: [now.timeIntervalSince1970, Date().timeIntervalSince1970])
                .map { try self.decode(TimerRecord.self, $0) }
        }
    }

    /// SQLite is owned by one process: whatever it left running when it died is claimable again.
    public func releaseOrphanedClaims() async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM lease") }
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

    public func mutateTimer(id: String, _ change: @escaping @Sendable (inout TimerRecord) -> Bool) async throws -> Bool {
        try await write { db in
            guard let text = try String.fetchOne(db, sql: "SELECT data FROM timer WHERE id = ?", arguments: [id]) else { return false }
            var timer = try self.decode(TimerRecord.self, text)
            guard change(&timer) else { return false }
            try db.execute(sql: "UPDATE timer SET status = ?, due_at = ?, data = ? WHERE id = ?",
                           arguments: [timer.status.rawValue, timer.dueAt.timeIntervalSince1970, try self.encode(timer), id])
            return true
        }
    }

    public func timers(rotationID: RotationID) async throws -> [TimerRecord] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT data FROM timer WHERE rotation_id = ? ORDER BY due_at", arguments: [rotationID.rawValue])
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
        try await write { db in try self.appendAudit(entry, db) }
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

    // MARK: Leases

    public func acquireLease(_ name: LeaseName, owner: ReplicaOwner, ttl: Duration) async throws -> LeaseGrant? {
        try await pool.write { db in
            let now = Date().timeIntervalSince1970
            let expires = now + ttl.timeInterval
            let existing = try Row.fetchOne(db, sql: "SELECT owner, generation, expires_at FROM lease WHERE name = ?", arguments: [name.rawValue])
            guard let existing else {
                try db.execute(sql: "INSERT INTO lease (name, owner, generation, expires_at) VALUES (?, ?, 1, ?)",
                               arguments: [name.rawValue, owner.rawValue, expires])
                return LeaseGrant(name: name, owner: owner, generation: 1, ttl: ttl)
            }
            guard (existing["expires_at"] as Double) <= now || (existing["owner"] as String) == owner.rawValue else { return nil }
            let generation = (existing["generation"] as Int64) + 1
            try db.execute(sql: "UPDATE lease SET owner = ?, generation = ?, expires_at = ? WHERE name = ?",
                           arguments: [owner.rawValue, generation, expires, name.rawValue])
            return LeaseGrant(name: name, owner: owner, generation: generation, ttl: ttl)
        }
    }

    public func renewLease(_ grant: LeaseGrant) async throws {
        try await pool.write { db in try Self.extend(grant, db) }
    }

    /// Extends `grant` by its TTL if it is still live and unchanged; throws ``LeaseLost`` otherwise.
    static func extend(_ grant: LeaseGrant, _ db: Database) throws {
        let now = Date().timeIntervalSince1970
        try db.execute(sql: "UPDATE lease SET expires_at = ? WHERE name = ? AND owner = ? AND generation = ? AND expires_at > ?",
                       arguments: [now + grant.ttl.timeInterval, grant.name.rawValue, grant.owner.rawValue, grant.generation, now])
        guard db.changesCount == 1 else {
            throw LeaseLost(name: grant.name, reason: "it expired or another process holds it now")
        }
    }

    public func releaseLease(_ grant: LeaseGrant) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM lease WHERE name = ? AND owner = ? AND generation = ?",
                           arguments: [grant.name.rawValue, grant.owner.rawValue, grant.generation])
        }
    }

    public func liveLeases() async throws -> [LeaseRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, owner, generation, expires_at FROM lease WHERE expires_at > ? ORDER BY name",
                             arguments: [Date().timeIntervalSince1970]).map {
                LeaseRecord(name: LeaseName(rawValue: $0["name"]), owner: ReplicaOwner(rawValue: $0["owner"]),
                            generation: $0["generation"], expiresAt: Date(timeIntervalSince1970: $0["expires_at"]))
            }
        }
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}
