import PostgresNIO

/// The PostgreSQL schema, as numbered migrations. Each runs once, in one transaction, under an
/// advisory lock: replicas that start at the same moment queue behind each other, and the second
/// finds the work done (`aegis_schema` lists the versions applied).
///
/// Times are seconds since 1970 as `double precision`, like the SQLite store. Lease expiry is
/// always compared with the database's own clock, so replicas' clocks need not agree.
enum PostgresSchema {
    struct Migration: Sendable {
        let version: Int
        let statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(version: 1, statements: [
            """
            CREATE TABLE rotation (id text PRIMARY KEY, number integer NOT NULL UNIQUE, secret_id text NOT NULL,
                status text NOT NULL, data text NOT NULL)
            """,
            "CREATE INDEX rotation_secret ON rotation (secret_id)",
            "CREATE INDEX rotation_status ON rotation (status)",
            """
            CREATE TABLE step (rotation_id text NOT NULL REFERENCES rotation (id) ON DELETE CASCADE, idx integer NOT NULL,
                data text NOT NULL, PRIMARY KEY (rotation_id, idx))
            """,
            """
            CREATE TABLE timer (id text PRIMARY KEY, kind text NOT NULL, rotation_id text, due_at double precision NOT NULL,
                status text NOT NULL, data text NOT NULL)
            """,
            "CREATE INDEX timer_due ON timer (status, due_at)",
            "CREATE TABLE audit (seq bigint PRIMARY KEY, body text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL)",
            """
            CREATE TABLE lease (name text PRIMARY KEY, owner text NOT NULL, generation bigint NOT NULL,
                expires_at double precision NOT NULL)
            """,
        ]),
    ]

    /// Advisory lock keys (one namespace for this app: 0x4145_4749 is "AEGI").
    enum Lock: Int64 {
        case migrations = 0x4145_4749_0001
        case audit = 0x4145_4749_0002
        case rotationNumbers = 0x4145_4749_0003
    }

    /// The database's clock, in the unit the tables use.
    static let now = "extract(epoch from clock_timestamp())::double precision"

    /// Applies what is missing; returns the versions this call applied (empty when another
    /// replica, or an earlier start, already did).
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await connection.query("SELECT pg_advisory_xact_lock(\(Lock.migrations.rawValue))", logger: logger)
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS aegis_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        var applied: Set<Int> = []
        for try await version in try await connection.query("SELECT version FROM aegis_schema", logger: logger).decode(Int.self) {
            applied.insert(version)
        }
        var done: [Int] = []
        for migration in migrations where !applied.contains(migration.version) {
            for statement in migration.statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query("INSERT INTO aegis_schema (version) VALUES (\(migration.version))", logger: logger)
            done.append(migration.version)
        }
        return done
    }
}
