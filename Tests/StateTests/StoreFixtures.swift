import AegisAdapters
@testable import AegisCore
import AegisPostgres
import AegisStatePostgres
import AegisStateSQLite
import AegisTestServers
import Foundation
import Logging

/// The stores the conformance suite runs against. Each case gives two handles on one store: for
/// SQLite the same object twice (one process owns the file), for PostgreSQL two separate stores
/// with their own connection pools on one database, as two replicas have.
enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres
    var description: String { rawValue }
}

struct StoreFixture: Sendable {
    let first: any StateStore
    let second: any StateStore
    let cleanup: @Sendable () async -> Void

    static let auditKey = try! AuditKey(material: SecretValue(utf8: "conformance-audit-key-0123456789-abcdefghijkl"))
    static let logger = Logger(label: "state-tests") { _ in SwiftLogNoOpLogHandler() }

    /// A new, empty store of `kind`; PostgreSQL gets a database of its own on the suite's server.
    static func make(_ kind: StoreKind) async throws -> StoreFixture {
        switch kind {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-state-\(UUID().uuidString)")
            let store = try SQLiteStateStore(path: folder.appendingPathComponent("state.sqlite").path, auditKey: auditKey)
            return StoreFixture(first: store, second: store) { try? FileManager.default.removeItem(at: folder) }
        case .postgres:
            let url = try await freshDatabase()
            let first = try PostgresStateStore(url: url, auditKey: auditKey, logger: logger)
            let second = try PostgresStateStore(url: url, auditKey: auditKey, logger: logger)
            return StoreFixture(first: first, second: second) {
                await first.close()
                await second.close()
            }
        }
    }

    /// An empty database on the suite's PostgreSQL server.
    static func freshDatabase() async throws -> PostgresURL {
        let server = try PostgresTestServer.shared()
        let name = "state_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased())"
        try await server.admin("CREATE DATABASE \(name)")
        var url = server.adminURL
        url.database = name
        return url
    }

    func run(_ body: (StoreFixture) async throws -> Void) async throws {
        do {
            try await body(self)
        } catch {
            await cleanup()
            throw error
        }
        await cleanup()
    }
}

/// Records to store: real plans from the repository's Commands files.
enum Records {
    static let inventory = try! InventoryLoader.load(directory: repositoryCommands, catalog: AdapterModules.catalog)
    static let planner = PlanBuilder(environment: .local, settings: RotationSettings(), catalog: AdapterModules.catalog)

    static var repositoryCommands: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Commands")
    }

    static func rotation(_ number: Int, secret: String = "jwt", status: RotationStatus = .awaitingApproval) -> RotationRecord {
        let definition = inventory.definition(named: secret)!
        let plan = planner.plan(for: definition, leaked: false)
        return RotationRecord(id: RotationID(number: number), number: number, secretID: definition.id, requester: "alice", reason: "test",
                              leaked: false, status: status, plan: plan, planDigest: plan.digest, requestedAt: Date(),
                              expiresAt: Date().addingTimeInterval(600), origin: ChatOrigin(channel: "C1"), facts: [:],
                              definition: definition)
    }

    /// The inventory's ID for a name or alias (`jwt` → its definition's ID).
    static func id(_ name: String) -> String { inventory.definition(named: name)!.id }

    static func requested(_ secret: String = "jwt") -> AuditEntry {
        AuditEntry(actor: "alice", action: AuditAction(rawValue: "rotation.requested"), secretID: secret)
    }
}
