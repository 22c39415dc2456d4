@testable import AegisAzure
import AegisCore
import AegisTestServers
import Foundation
import Testing

/// The `azure-key-vault` store's staging story at the fake: stages in tags, "latest" always the
/// value readers should get, nothing deleted.
@Suite("Azure Key Vault store: stages in tags, discard writes the current value back", .timeLimit(.minutes(3)))
struct AzureKeyVaultStoreTests {
    static let location = StorageLocation(kind: .azureKeyVault, name: "entra-client-secret", container: "aegis-kv")

    static func stages(_ store: AzureKeyVaultStore) async throws -> [String: Set<SecretStage>] {
        Dictionary(uniqueKeysWithValues: try await store.versions(secret: location).map { ($0.versionID, $0.stages) })
    }

    static func latest(_ c: AzureClientTests.Clients) async throws -> String? {
        try await c.vault.get(name: location.name, version: nil)?.value.revealSecretString()
    }

    @Test("a hand-made secret: its newest version is current; pending, makeCurrent, previous; re-runs are no-ops")
    func promote() async throws {
        try await AzureClientTests.with { azure, c in
            let store = c.store
            let handMade = try await c.vault.set(name: Self.location.name, value: SecretValue(utf8: "old-secret"), tags: [:]).version
            #expect(try await Self.stages(store) == [handMade: [.current]])

            try await store.putPending(secret: Self.location, versionID: "v-new", value: SecretValue(utf8: "new-secret"), keyID: "key-new")
            try await store.putPending(secret: Self.location, versionID: "v-new", value: SecretValue(utf8: "new-secret"), keyID: "key-new")
            #expect(try await Self.stages(store) == [handMade: [.current], "v-new": [.pending]])
            #expect(try await azure.vault(Self.location.name).count == 2, "the second putPending wrote nothing")
            #expect(try await store.value(secret: Self.location, versionID: "v-new")?.revealSecretString() == "new-secret")
            #expect(try await store.value(secret: Self.location, versionID: handMade)?.revealSecretString() == "old-secret")
            #expect(try await store.keyID(secret: Self.location, versionID: "v-new") == "key-new")
            #expect(try await store.keyID(secret: Self.location, versionID: handMade) == nil)

            try await store.makeCurrent(secret: Self.location, versionID: "v-new")
            try await store.makeCurrent(secret: Self.location, versionID: "v-new")
            #expect(try await Self.stages(store) == [handMade: [.previous], "v-new": [.current]])
            #expect(try await Self.latest(c) == "new-secret")

            try await store.putPending(secret: Self.location, versionID: "v-third", value: SecretValue(utf8: "third-secret"), keyID: "key-3")
            try await store.makeCurrent(secret: Self.location, versionID: "v-third")
            #expect(try await Self.stages(store) == [handMade: [], "v-new": [.previous], "v-third": [.current]])
            #expect(try await azure.vault(Self.location.name).count == 3, "nothing was deleted")
        }
    }

    @Test("discardPending writes the current value back as the newest version and disables the pending one")
    func discard() async throws {
        try await AzureClientTests.with { azure, c in
            let store = c.store
            let handMade = try await c.vault.set(name: Self.location.name, value: SecretValue(utf8: "old-secret"), tags: [:]).version
            try await store.putPending(secret: Self.location, versionID: "v-new", value: SecretValue(utf8: "new-secret"), keyID: "key-new")
            #expect(try await Self.latest(c) == "new-secret", "Key Vault readers see the pending value as latest")

            try await store.discardPending(secret: Self.location, versionID: "v-new")
            try await store.discardPending(secret: Self.location, versionID: "v-new")
            #expect(try await Self.latest(c) == "old-secret", "the old value is latest again")
            #expect(try await Self.stages(store) == [handMade: [.current], "v-new": []])
            #expect(try await store.value(secret: Self.location, versionID: handMade)?.revealSecretString() == "old-secret")
            let versions = try await azure.vault(Self.location.name)
            #expect(versions.count == 3, "one write-back, nothing deleted")
            #expect(versions.map { $0["enabled"] as? Bool } == [true, false, true])
            #expect((versions.last?["tags"] as? [String: String])?["aegis-version"] == handMade)

            // A later rotation from the written-back current.
            try await store.putPending(secret: Self.location, versionID: "v-2", value: SecretValue(utf8: "second-try"), keyID: "key-2")
            try await store.makeCurrent(secret: Self.location, versionID: "v-2")
            #expect(try await Self.stages(store) == [handMade: [.previous], "v-new": [], "v-2": [.current]])
            #expect(try await Self.latest(c) == "second-try")
            let tagged = try await azure.vault(Self.location.name).filter { $0["enabled"] as? Bool == true }
            #expect(tagged.filter { ($0["tags"] as? [String: String])?["aegis-stage"] == "current" }.count == 1)
        }
    }

    @Test("a pending version that is not the newest is disabled without a write-back")
    func discardOlderPending() async throws {
        try await AzureClientTests.with { azure, c in
            let store = c.store
            _ = try await c.vault.set(name: Self.location.name, value: SecretValue(utf8: "old-secret"), tags: [:])
            try await store.putPending(secret: Self.location, versionID: "v-new", value: SecretValue(utf8: "new-secret"), keyID: nil)
            _ = try await c.vault.set(name: Self.location.name, value: SecretValue(utf8: "by-hand-later"), tags: [:])
            try await store.discardPending(secret: Self.location, versionID: "v-new")
            #expect(try await azure.vault(Self.location.name).count == 3)
            #expect(try await Self.latest(c) == "by-hand-later")
        }
    }
}
