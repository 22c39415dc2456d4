import GRDB

/// The SQLite schema. Records are stored as JSON beside the columns queries need; the JSON is
/// produced by the core's Codable types, which hold version IDs and never a secret value.
enum SQLiteSchema {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "rotation") { table in
                table.column("id", .text).primaryKey()
                table.column("number", .integer).notNull().unique()
                table.column("secret_id", .text).notNull().indexed()
                table.column("status", .text).notNull().indexed()
                table.column("data", .text).notNull()
            }
            try db.create(table: "step") { table in
                table.column("rotation_id", .text).notNull().references("rotation", onDelete: .cascade)
                table.column("idx", .integer).notNull()
                table.column("data", .text).notNull()
                table.primaryKey(["rotation_id", "idx"])
            }
            try db.create(table: "timer") { table in
                table.column("id", .text).primaryKey()
                table.column("kind", .text).notNull()
                table.column("rotation_id", .text)
                table.column("due_at", .double).notNull().indexed()
                table.column("status", .text).notNull().indexed()
                table.column("data", .text).notNull()
            }
            try db.create(table: "audit") { table in
                table.column("seq", .integer).primaryKey()
                table.column("body", .text).notNull()
                table.column("prev_hash", .text).notNull()
                table.column("hash", .text).notNull()
            }
        }
        // Leases: which process acts on a rotation or timer (one process per SQLite file, but the
        // engine takes leases the same way on every store). `expires_at` is seconds since 1970.
        migrator.registerMigration("v2-leases") { db in
            try db.create(table: "lease") { table in
                table.column("name", .text).primaryKey()
                table.column("owner", .text).notNull()
                table.column("generation", .integer).notNull()
                table.column("expires_at", .double).notNull()
            }
        }
        return migrator
    }
}
