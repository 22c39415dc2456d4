import Foundation

/// The local sandbox's stand-in for every provider the sandbox cannot reach (Okta, the AI
/// providers, Entra ID, IAM, the databases): a ledger of the credentials those systems would
/// accept, and their status. A stand-in step asks it what the real API would answer ("is this
/// token valid?") and changes it the way the real call would ("revoke the old token").
///
/// It never holds a value, nor a hash of one: a credential is known by the store version that
/// holds it (`<secret>@<version ID>`), as the audit log knows versions. The ledger is one JSON
/// file (`credentials.json`, mode 0600) under the sandbox folder, so a restarted shell sees what
/// the previous one revoked.
public actor SandboxCredentials {
    /// What the stand-in system thinks of a credential.
    public enum Status: String, Sendable, Codable {
        case active, inactive, revoked, archived, deleted

        /// Whether the stand-in system still accepts the credential.
        public var accepted: Bool { self == .active }
    }

    public struct Entry: Sendable, Codable, Equatable {
        /// A short non-secret ID, as a provider would show it (`sbx-1a2b3c4d`).
        public var id: String
        /// The system that "issued" it, e.g. `okta`.
        public var system: String
        public var status: Status
        public var changed: Date
    }

    struct Ledger: Codable {
        var entries: [String: Entry] = [:]
    }

    let file: URL
    var ledger: Ledger?

    public init(folder: URL) {
        file = folder.appendingPathComponent("credentials.json")
    }

    static func key(_ secret: StorageLocation, _ version: String) -> String { "\(secret.name)@\(version)" }

    /// A short non-secret ID for a version's credential.
    static func shortID(_ version: String) -> String {
        "sbx-" + version.replacingOccurrences(of: "v-", with: "").prefix(8)
    }

    /// The entry for the credential in `version`, or nil when the stand-in system never saw it.
    public func entry(secret: StorageLocation, version: String) throws -> Entry? {
        try load().entries[Self.key(secret, version)]
    }

    /// Makes the credential in `version` one of `system`'s with `status`, unless it is known
    /// already (then its entry is returned unchanged: a re-run must not resurrect a revoked key).
    @discardableResult
    public func register(secret: StorageLocation, version: String, system: String, status: Status = .active) throws -> Entry {
        var ledger = try load()
        let key = Self.key(secret, version)
        if let known = ledger.entries[key] { return known }
        let entry = Entry(id: Self.shortID(version), system: system, status: status, changed: Date())
        ledger.entries[key] = entry
        try save(ledger)
        return entry
    }

    /// Sets the status of the credential in `version` (registering it first if the stand-in never
    /// saw it, e.g. a sandbox seeded before the ledger existed).
    @discardableResult
    public func set(secret: StorageLocation, version: String, system: String, to status: Status) throws -> Entry {
        var ledger = try load()
        let key = Self.key(secret, version)
        var entry = ledger.entries[key] ?? Entry(id: Self.shortID(version), system: system, status: status, changed: Date())
        entry.status = status
        entry.changed = Date()
        ledger.entries[key] = entry
        try save(ledger)
        return entry
    }

    /// Sets the status of the credential with this short ID; nil when there is none.
    @discardableResult
    public func set(id: String, to status: Status) throws -> Entry? {
        var ledger = try load()
        guard let key = ledger.entries.first(where: { $0.value.id == id })?.key else { return nil }
        ledger.entries[key]?.status = status
        ledger.entries[key]?.changed = Date()
        try save(ledger)
        return ledger.entries[key]
    }

    /// The entry with this short ID.
    public func entry(id: String) throws -> Entry? {
        try load().entries.values.first { $0.id == id }
    }

    func load() throws -> Ledger {
        if let ledger { return ledger }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            ledger = Ledger()
            return Ledger()
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            let loaded = try decoder.decode(Ledger.self, from: data)
            ledger = loaded
            return loaded
        } catch {
            throw AdapterError(system: "sandbox", operation: "read \(file.lastPathComponent)",
                               message: "the sandbox's credential ledger is unreadable (\(type(of: error))); delete \(file.path) to start over",
                               isTransient: false)
        }
    }

    func save(_ updated: Ledger) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let folder = file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try encoder.encode(updated).write(to: file, options: [.atomic])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        ledger = updated
    }
}
