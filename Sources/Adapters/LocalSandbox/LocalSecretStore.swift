import AegisCore
import Foundation

/// The sandbox's secret store: a folder per secret with one 0600 file per version and an index
/// of creation dates and staging labels (current / previous / pending). A value file is written
/// before the index names it, so a crash never leaves a label pointing at nothing. Indexes
/// written before the labels had the core's own names (`AWSCURRENT`, …) are read as well.
public actor LocalSecretStore: SecretStore {
    struct Index: Codable {
        var created: [String: Date] = [:]
        var stages: [String: String] = [:]
    }

    let root: URL
    /// Labels of an index written by an earlier version of the sandbox.
    static let legacyStageNames: [String: SecretStage] = ["AWSCURRENT": .current, "AWSPREVIOUS": .previous, "AWSPENDING": .pending]

    public init(root: URL) { self.root = root }

    func folder(_ secret: StorageLocation) -> URL {
        let safe = secret.name.replacingOccurrences(of: "/", with: "__")
        return root.appendingPathComponent(safe, isDirectory: true)
    }

    func valueFile(_ secret: StorageLocation, _ versionID: String) throws -> URL {
        guard versionID.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw AdapterError(system: "local store", operation: "read", message: "invalid version ID \(versionID)", isTransient: false)
        }
        return folder(secret).appendingPathComponent("versions/\(versionID).secret")
    }

    func index(_ secret: StorageLocation) throws -> Index {
        guard let data = try AtomicFile.read(folder(secret).appendingPathComponent("index.json")) else { return Index() }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var index = try decoder.decode(Index.self, from: data)
        for (legacy, stage) in Self.legacyStageNames {
            if let version = index.stages.removeValue(forKey: legacy), index.stages[stage.rawValue] == nil {
                index.stages[stage.rawValue] = version
            }
        }
        return index
    }

    func save(_ index: Index, _ secret: StorageLocation) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(index), to: folder(secret).appendingPathComponent("index.json"))
    }

    public func putPending(secret: StorageLocation, versionID: String, value: SecretValue) async throws {
        var index = try index(secret)
        let file = try valueFile(secret, versionID)
        if index.created[versionID] == nil {
            try AtomicFile.write(Data(value.revealSecretBytes()), to: file)
            index.created[versionID] = Date()
        }
        if index.stages[SecretStage.current.rawValue] != versionID {
            index.stages[SecretStage.pending.rawValue] = versionID
        }
        try save(index, secret)
    }

    public func value(secret: StorageLocation, versionID: String) async throws -> SecretValue? {
        guard try index(secret).created[versionID] != nil, let data = try AtomicFile.read(try valueFile(secret, versionID)) else { return nil }
        return SecretValue(bytes: Array(data))
    }

    public func versions(secret: StorageLocation) async throws -> [SecretVersionInfo] {
        let index = try index(secret)
        return index.created.map { id, created in
            let stages = Set(index.stages.filter { $0.value == id }.compactMap { SecretStage(rawValue: $0.key) })
            return SecretVersionInfo(versionID: id, createdAt: created, stages: stages)
        }.sorted { ($0.createdAt ?? .distantPast) < ($1.createdAt ?? .distantPast) }
    }

    public func makeCurrent(secret: StorageLocation, versionID: String) async throws {
        var index = try index(secret)
        guard index.created[versionID] != nil else {
            throw AdapterError(system: "local store", operation: "promote", message: "\(secret.name) has no version \(versionID)", isTransient: false)
        }
        if let current = index.stages[SecretStage.current.rawValue], current != versionID {
            index.stages[SecretStage.previous.rawValue] = current
        }
        index.stages[SecretStage.current.rawValue] = versionID
        if index.stages[SecretStage.pending.rawValue] == versionID { index.stages[SecretStage.pending.rawValue] = nil }
        try save(index, secret)
    }

    /// Removes the pending label and, since the sandbox never used that value, its file.
    public func discardPending(secret: StorageLocation, versionID: String) async throws {
        var index = try index(secret)
        guard index.created[versionID] != nil else { return }
        if index.stages[SecretStage.pending.rawValue] == versionID { index.stages[SecretStage.pending.rawValue] = nil }
        if !index.stages.values.contains(versionID) { index.created[versionID] = nil }
        try save(index, secret)
        if index.created[versionID] == nil { try? FileManager.default.removeItem(at: try valueFile(secret, versionID)) }
    }
}
