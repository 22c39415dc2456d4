import AegisCore
import AegisPostgres
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The state store for several replicas (`AEGIS_STATE_URL=postgres://…`): the same records as the
/// SQLite store, in PostgreSQL, with the serialization several processes need done by the database:
/// - a rotation or timer row is read `FOR UPDATE` before it is changed, so two replicas deciding
///   the same request (a click delivered to both) decide it once;
/// - rotation numbers and the audit chain are appended under advisory transaction locks, so the
///   chain stays one chain;
/// - leases expire by the database's clock (``PostgresSchema/now``).
///
/// Connections come from a `PostgresClient` pool, whose `run()` this store drives on a task of
/// its own from `init` until ``close()``. Every operation has a deadline (``operationLimit``):
/// an unreachable database fails the call with a message naming it, never hangs it.
public final class PostgresStateStore: TimerRowStore {
    let client: PostgresClient
    let runner: Task<Void, Never>
    let url: PostgresURL
    let logger: Logger
    let coding = StateRecordCoding()
    let migration = MigrationGate()
    public let auditKey: AuditKey
    public let timerChanges = WakeSignal()
    /// The longest any one operation (a transaction, with waiting for a connection) may take.
    public let operationLimit: Duration

    /// - Parameter idleTransactionLimit: how long the server keeps a transaction of this store open
    ///   while waiting for its client (`idle_in_transaction_session_timeout`). A replica cut off
    ///   in the middle of a transaction holds row locks (its lease row among them) until the
    ///   server gives up on it; this bounds that wait, so another replica can take the lease over
    ///   soon after it expires. Half the lease TTL is what the app passes.
    public init(url: PostgresURL, auditKey: AuditKey, operationLimit: Duration = .seconds(10),
                idleTransactionLimit: Duration = .seconds(15), logger: Logger) throws {
        var configuration = try url.clientConfiguration()
        configuration.options.maximumConnections = 8
        configuration.options.connectionIdleTimeout = .seconds(60)
        // The server gives up when the client did: no statement or lock wait outlives the call.
        configuration.options.additionalStartupParameters = [
            ("idle_in_transaction_session_timeout", "\(max(1_000, idleTransactionLimit.milliseconds))"),
            ("lock_timeout", "\(operationLimit.milliseconds)"),
            ("statement_timeout", "\(operationLimit.milliseconds)"),
        ]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.runner = Task { await client.run() }
        self.url = url
        self.auditKey = auditKey
        self.operationLimit = operationLimit
        self.logger = logger
    }

    /// Stops the connection pool (bounded: a pool that does not stop is left to the process exit).
    public func close() async {
        runner.cancel()
        let runner = self.runner
        await finishWithin(.seconds(3), "the PostgreSQL state store's connections to close") { await runner.value }
    }

    /// Applies the schema migrations once per process (the first operation waits for it). A failure
    /// is retried by the next operation. Returns the versions this call applied: empty when they
    /// were there already (another replica, an earlier start, or an earlier call).
    @discardableResult
    public func prepare() async throws -> [Int] {
        try await migration.run {
            try await self.withDeadline("schema migration") {
                let applied = try await self.client.withTransaction(logger: self.logger) { connection in
                    try await PostgresSchema.migrate(connection, logger: self.logger)
                }
                for version in applied {
                    self.logger.notice("applied a state store migration", metadata: ["schema.version": "\(version)"])
                }
                return applied
            }
        }
    }

    // MARK: Transactions

    /// One transaction: the caller's lease (``LeaseContext/current``) is checked and extended
    /// first, then `body` runs; any error rolls everything back.
    func transaction<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await prepare()
        let lease = LeaseContext.current
        return try await withDeadline(what) {
            try await self.client.withTransaction(logger: self.logger) { connection in
                if let lease { try await self.extend(lease, connection) }
                return try await body(connection)
            }
        }
    }

    /// A read outside a transaction.
    func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await prepare()
        return try await withDeadline(what) {
            try await self.client.withConnection { connection in try await body(connection) }
        }
    }

    /// Runs `operation` within ``operationLimit``; database and deadline failures become a
    /// ``StateStoreError`` naming the server (never the URL or its password). Other errors (a
    /// refusal thrown by an update's body, ``LeaseLost``) pass through unchanged.
    func withDeadline<T: Sendable>(_ what: String, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            return try await AegisCore.withDeadline(operationLimit, "PostgreSQL at \(url.endpoint) (\(what))", operation)
        } catch let error as PostgresTransactionError {
            // The body's own error (a refusal, a lost lease) comes out as it was thrown.
            if let thrown = error.closureError { throw Self.mapped(thrown, url: url, what: what) }
            let cause = error.beginError ?? error.commitError ?? error.rollbackError
            throw Self.mapped(cause ?? error, url: url, what: what)
        } catch {
            throw Self.mapped(error, url: url, what: what)
        }
    }

    static func mapped(_ error: any Error, url: PostgresURL, what: String) -> any Error {
        switch error {
        case let error as PSQLError:
            StateStoreError("PostgreSQL at \(url.endpoint) failed during \(what): \(describe(error))")
        case let error as DeadlineExceeded:
            StateStoreError("PostgreSQL at \(url.endpoint) did not answer within \(error.after) (\(what))")
        case is PostgresTransactionError:
            StateStoreError("PostgreSQL at \(url.endpoint) failed during \(what) (transaction)")
        default:
            error
        }
    }

    static func describe(_ error: PSQLError) -> String {
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? "?????"
            return "\(error.serverInfo?[.message] ?? "server error") (SQLSTATE \(state))"
        default:
            return "\(error.code)"
        }
    }

    func strings(_ query: PostgresQuery, _ connection: PostgresConnection) async throws -> [String] {
        var values: [String] = []
        for try await value in try await connection.query(query, logger: logger).decode(String.self) { values.append(value) }
        return values
    }

    func records<T: Decodable>(_ type: T.Type, _ query: PostgresQuery, _ connection: PostgresConnection) async throws -> [T] {
        try await strings(query, connection).map { try coding.decode(type, $0) }
    }

    // MARK: Rotations

    public func createRotation(secretID: String, audit: AuditEntry,
                               build: @escaping @Sendable (Int) -> RotationRecord) async throws -> RotationCreation {
        let open = RotationStatus.allCases.filter(\.isOpen).map(\.rawValue)
        return try await transaction("create a rotation of \(secretID)") { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.Lock.rotationNumbers.rawValue))", logger: self.logger)
            if let existing = try await self.records(RotationRecord.self, """
                SELECT data FROM rotation WHERE secret_id = \(secretID) AND status = ANY(\(open)) ORDER BY number LIMIT 1
                """, connection).first {
                return .alreadyOpen(existing)
            }
            var highest = 0
            let rows = try await connection.query("SELECT COALESCE(MAX(number), 0) FROM rotation", logger: self.logger)
            for try await number in rows.decode(Int.self) { highest = number }
            let record = build(highest + 1)
            let data = try self.coding.encode(record)
            try await connection.query("""
                INSERT INTO rotation (id, number, secret_id, status, data)
                VALUES (\(record.id.rawValue), \(record.number), \(record.secretID), \(record.status.rawValue), \(data))
                """, logger: self.logger)
            var entry = audit
            entry.rotationID = record.id
            try await self.appendAudit(entry, connection)
            return .created(record)
        }
    }

    public func rotation(id: RotationID) async throws -> RotationRecord? {
        try await read("read rotation \(id)") { connection in
            try await self.records(RotationRecord.self, "SELECT data FROM rotation WHERE id = \(id.rawValue)", connection).first
        }
    }

    public func rotations(secretID: String) async throws -> [RotationRecord] {
        try await read("read rotations of \(secretID)") { connection in
            try await self.records(RotationRecord.self, "SELECT data FROM rotation WHERE secret_id = \(secretID) ORDER BY number", connection)
        }
    }

    public func rotations(statuses: Set<RotationStatus>) async throws -> [RotationRecord] {
        let values = statuses.map(\.rawValue)
        guard !values.isEmpty else { return [] }
        return try await read("read rotations by status") { connection in
            try await self.records(RotationRecord.self, "SELECT data FROM rotation WHERE status = ANY(\(values)) ORDER BY number", connection)
        }
    }

    public func latestRotations(limit: Int) async throws -> [RotationRecord] {
        try await read("read the latest rotations") { connection in
            try await self.records(RotationRecord.self, "SELECT data FROM rotation ORDER BY number DESC LIMIT \(limit)", connection)
        }
    }

    public func updateRotation(id: RotationID, audit: (@Sendable (RotationRecord) -> AuditEntry?)?,
                               _ body: @escaping @Sendable (inout RotationRecord) throws -> Void) async throws -> RotationRecord {
        try await transaction("update rotation \(id)") { connection in
            guard let text = try await self.strings("SELECT data FROM rotation WHERE id = \(id.rawValue) FOR UPDATE", connection).first else {
                throw StateStoreError("no rotation \(id)")
            }
            var record = try self.coding.decode(RotationRecord.self, text)
            try body(&record)
            let data = try self.coding.encode(record)
            try await connection.query("UPDATE rotation SET status = \(record.status.rawValue), data = \(data) WHERE id = \(id.rawValue)", logger: self.logger)
            if let entry = audit?(record) { try await self.appendAudit(entry, connection) }
            return record
        }
    }

    // MARK: Steps

    public func saveStep(_ step: StepRecord, audit: AuditEntry?) async throws {
        let data = try coding.encode(step)
        try await transaction("save step \(step.index) of \(step.rotationID)") { connection in
            _ = try await connection.query("""
                INSERT INTO step (rotation_id, idx, data) VALUES (\(step.rotationID.rawValue), \(step.index), \(data))
                ON CONFLICT (rotation_id, idx) DO UPDATE SET data = EXCLUDED.data
                """, logger: self.logger)
            if let audit { try await self.appendAudit(audit, connection) }
        }
    }

    public func steps(rotationID: RotationID) async throws -> [StepRecord] {
        try await read("read the steps of \(rotationID)") { connection in
            try await self.records(StepRecord.self, "SELECT data FROM step WHERE rotation_id = \(rotationID.rawValue) ORDER BY idx", connection)
        }
    }

    // MARK: Timers

    public func scheduleTimer(_ timer: TimerRecord) async throws {
        let data = try coding.encode(timer)
        try await transaction("schedule timer \(timer.id)") { connection in
            _ = try await connection.query("""
                INSERT INTO timer (id, kind, rotation_id, due_at, status, data)
                VALUES (\(timer.id), \(timer.kind.rawValue), \(timer.rotationID?.rawValue), \(timer.dueAt.timeIntervalSince1970), \(timer.status.rawValue), \(data))
                ON CONFLICT (id) DO NOTHING
                """, logger: self.logger)
        }
        timerChanges.signal()
    }

    public func nextTimerDue() async throws -> Date? {
        try await read("read the next timer") { connection in
            var due: Double?
            let rows = try await connection.query("SELECT MIN(due_at) FROM timer WHERE status = 'pending'", logger: self.logger)
            for try await value in rows.decode(Double?.self) { due = value }
            return due.map(Date.init(timeIntervalSince1970:))
        }
    }

    /// Pending timers that are due, and running ones whose holder's lease expired (it died).
    public func dueTimers(now: Date) async throws -> [TimerRecord] {
        try await read("read due timers") { connection in
            try await self.records(TimerRecord.self, """
                SELECT data FROM timer WHERE due_at <= \(now.timeIntervalSince1970) AND (status = 'pending' OR (status = 'running' AND NOT EXISTS (
                    SELECT 1 FROM lease WHERE lease.name = 'timer:' || timer.id AND lease.expires_at > \(unescaped: PostgresSchema.now))))
                ORDER BY due_at
                """, connection)
        }
    }

    /// Shared by several replicas: nothing here belongs to a dead process for sure. A dead
    /// holder's leases expire, and ``dueTimers(now:)`` then offers its running timers again. What
    /// start-up does here is the schema migration, so a replica that cannot reach its database
    /// says so before it opens its Slack connection.
    public func releaseOrphanedClaims() async throws {
        try await prepare()
    }

    public func mutateTimer(id: String, _ change: @escaping @Sendable (inout TimerRecord) -> Bool) async throws -> Bool {
        try await transaction("update timer \(id)") { connection in
            guard let text = try await self.strings("SELECT data FROM timer WHERE id = \(id) FOR UPDATE", connection).first else { return false }
            var timer = try self.coding.decode(TimerRecord.self, text)
            guard change(&timer) else { return false }
            let data = try self.coding.encode(timer)
            try await connection.query("""
                UPDATE timer SET status = \(timer.status.rawValue), due_at = \(timer.dueAt.timeIntervalSince1970), data = \(data) WHERE id = \(id)
                """, logger: self.logger)
            return true
        }
    }

    public func timers(rotationID: RotationID) async throws -> [TimerRecord] {
        try await read("read the timers of \(rotationID)") { connection in
            try await self.records(TimerRecord.self, "SELECT data FROM timer WHERE rotation_id = \(rotationID.rawValue) ORDER BY due_at", connection)
        }
    }

    public func pendingTimers(kind: TimerKind) async throws -> [TimerRecord] {
        try await read("read pending timers") { connection in
            try await self.records(TimerRecord.self, """
                SELECT data FROM timer WHERE kind = \(kind.rawValue) AND status IN ('pending', 'running') ORDER BY due_at
                """, connection)
        }
    }

    // MARK: Audit

    public func appendAudit(_ entry: AuditEntry) async throws -> AuditRecord {
        try await transaction("append to the audit log") { connection in try await self.appendAudit(entry, connection) }
    }

    /// Appends under the audit advisory lock (held to the end of the transaction), so concurrent
    /// appenders on any replica each see the previous record and the chain never forks.
    @discardableResult
    func appendAudit(_ entry: AuditEntry, _ connection: PostgresConnection) async throws -> AuditRecord {
        try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.Lock.audit.rawValue))", logger: logger)
        var sequence = 1
        var previous = AuditChain.genesisHash
        let rows = try await connection.query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", logger: logger)
        for try await (seq, hash) in rows.decode((Int, String).self) {
            sequence = seq + 1
            previous = hash
        }
        let record = AuditChain.seal(entry, sequence: sequence, previousHash: previous, at: Date(), key: auditKey)
        try await connection.query("""
            INSERT INTO audit (seq, body, prev_hash, hash) VALUES (\(record.sequence), \(record.body), \(record.previousHash), \(record.hash))
            """, logger: logger)
        return record
    }

    public func auditRecords() async throws -> [AuditRecord] {
        try await read("read the audit log") { connection in
            var records: [AuditRecord] = []
            let rows = try await connection.query("SELECT seq, body, prev_hash, hash FROM audit ORDER BY seq", logger: self.logger)
            for try await (seq, body, previous, hash) in rows.decode((Int, String, String, String).self) {
                records.append(AuditRecord(sequence: seq, body: body, previousHash: previous, hash: hash))
            }
            return records
        }
    }

    // MARK: Leases

    public func acquireLease(_ name: LeaseName, owner: ReplicaOwner, ttl: Duration) async throws -> LeaseGrant? {
        let seconds = ttl.timeInterval
        return try await transaction("take the lease on \(name)") { connection in
            var generation: Int64?
            let rows = try await connection.query("""
                INSERT INTO lease AS held (name, owner, generation, expires_at)
                VALUES (\(name.rawValue), \(owner.rawValue), 1, \(unescaped: PostgresSchema.now) + \(seconds))
                ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, generation = held.generation + 1, expires_at = EXCLUDED.expires_at
                WHERE held.expires_at <= \(unescaped: PostgresSchema.now) OR held.owner = EXCLUDED.owner
                RETURNING generation
                """, logger: self.logger)
            for try await value in rows.decode(Int64.self) { generation = value }
            return generation.map { LeaseGrant(name: name, owner: owner, generation: $0, ttl: ttl) }
        }
    }

    public func renewLease(_ grant: LeaseGrant) async throws {
        try await withDeadline("renew the lease on \(grant.name)") {
            try await self.client.withConnection { connection in try await self.extend(grant, connection) }
        }
    }

    /// Extends `grant` by its TTL if it is still live and unchanged; throws ``LeaseLost`` otherwise.
    /// Inside a transaction the row stays locked to its end, so no replica can take the lease
    /// between this check and the write it guards.
    func extend(_ grant: LeaseGrant, _ connection: PostgresConnection) async throws {
        var renewed = false
        let rows = try await connection.query("""
            UPDATE lease SET expires_at = \(unescaped: PostgresSchema.now) + \(grant.ttl.timeInterval)
            WHERE name = \(grant.name.rawValue) AND owner = \(grant.owner.rawValue) AND generation = \(grant.generation)
              AND expires_at > \(unescaped: PostgresSchema.now)
            RETURNING 1
            """, logger: logger)
        for try await _ in rows.decode(Int.self) { renewed = true }
        guard renewed else { throw LeaseLost(name: grant.name, reason: "it expired or another replica holds it now") }
    }

    public func releaseLease(_ grant: LeaseGrant) async throws {
        try await read("release the lease on \(grant.name)") { connection in
            _ = try await connection.query("""
                DELETE FROM lease WHERE name = \(grant.name.rawValue) AND owner = \(grant.owner.rawValue) AND generation = \(grant.generation)
                """, logger: self.logger)
        }
    }

    public func liveLeases() async throws -> [LeaseRecord] {
        try await read("read the leases") { connection in
            var leases: [LeaseRecord] = []
            let rows = try await connection.query("""
                SELECT name, owner, generation, expires_at FROM lease WHERE expires_at > \(unescaped: PostgresSchema.now) ORDER BY name
                """, logger: self.logger)
            for try await (name, owner, generation, expires) in rows.decode((String, String, Int64, Double).self) {
                leases.append(LeaseRecord(name: LeaseName(rawValue: name), owner: ReplicaOwner(rawValue: owner),
                                          generation: generation, expiresAt: Date(timeIntervalSince1970: expires)))
            }
            return leases
        }
    }

    public func ping() async throws {
        try await read("ping") { connection in
            _ = try await connection.query("SELECT 1", logger: self.logger)
        }
    }
}

/// Runs the schema migration once per process; a failed attempt leaves the next caller to retry.
final class MigrationGate: Sendable {
    private let done = Mutex(false)

    func run(_ migrate: @Sendable () async throws -> [Int]) async throws -> [Int] {
        if done.withLock({ $0 }) { return [] }
        let applied = try await migrate()
        done.withLock { $0 = true }
        return applied
    }
}
