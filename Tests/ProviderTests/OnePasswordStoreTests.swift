@testable import AegisOnePassword
import AegisCore
import AegisTestServers
import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing

/// The `1password` store at the Connect fake: stages in the item's own fields, one JSON Patch per
/// change, re-runs that change nothing, and the refusals Connect answers turned into messages that
/// name what to fix and never a value or the token.
@Suite("1Password Connect store: stages in the item's fields, one patch per change", .timeLimit(.minutes(3)))
struct OnePasswordStoreTests {
    static let title = "aegis-dev-jwt-secret"
    static let location = StorageLocation(kind: .onePassword, name: title, container: OnePasswordFake.vaultName)
    static let promotedAt = Date(timeIntervalSince1970: 1_800_000_000)

    struct FixedClock: WallClock {
        func now() -> Date { OnePasswordStoreTests.promotedAt }
    }

    static func store(_ fake: OnePasswordFake, token: String? = nil) -> OnePasswordStore {
        OnePasswordStore(client: ConnectClient(endpoint: URL(string: fake.url)!, http: HTTPClient.shared,
                                               token: SecretValue(utf8: token ?? fake.token), timeout: .seconds(10)),
                         clock: FixedClock())
    }

    static func stages(_ store: OnePasswordStore) async throws -> [String: Set<SecretStage>] {
        Dictionary(uniqueKeysWithValues: try await store.versions(secret: location).map { ($0.versionID, $0.stages) })
    }

    static func patches(_ fake: OnePasswordFake) async throws -> Int {
        try await fake.requests().filter { $0["method"] as? String == "PATCH" }.count
    }

    @Test("a hand-made item: pending beside the password, then current with the old value as previous; re-runs patch nothing")
    func promote() async throws {
        try await OnePasswordFake.with { fake in
            let item = try await fake.makeItem(Self.title, password: "hand-made-dev-jwt-secret-0001")
            let store = Self.store(fake)
            #expect(try await Self.stages(store) == ["1password-initial": [.current]])
            let madeAt = try await store.lastRotation(secret: Self.location)
            #expect(madeAt != nil, "due reads the item's updatedAt while the bot has not marked it")

            let new = SecretValue(utf8: "new-dev-jwt-secret-000000000000002")
            try await store.putPending(secret: Self.location, versionID: "v-new", value: new)
            try await store.putPending(secret: Self.location, versionID: "v-new", value: new)
            #expect(try await Self.patches(fake) == 1, "the second putPending patched nothing")
            var fields = try await fake.fields(item)
            #expect(fields["password"] == "hand-made-dev-jwt-secret-0001", "developers still read the old value")
            #expect(fields["aegis-pending-version"] == "v-new" && fields["aegis-pending-value"] == new.revealSecretString())
            #expect(fields["aegis-current-version"] == "1password-initial", "the hand-made value is pinned under its ID")
            #expect(try await Self.stages(store) == ["1password-initial": [.current], "v-new": [.pending]])
            let pinned = try await store.lastRotation(secret: Self.location)
            #expect(abs((pinned ?? .distantPast).timeIntervalSince(madeAt ?? .distantFuture)) < 0.001,
                    "staging does not move the date due reads (pinned to the millisecond)")
            #expect(try await store.value(secret: Self.location, versionID: "v-new")?.constantTimeEquals(new) == true)

            try await store.makeCurrent(secret: Self.location, versionID: "v-new")
            try await store.makeCurrent(secret: Self.location, versionID: "v-new")
            #expect(try await Self.patches(fake) == 2)
            fields = try await fake.fields(item)
            #expect(fields["password"] == new.revealSecretString())
            #expect(fields["aegis-previous-value"] == "hand-made-dev-jwt-secret-0001" && fields["aegis-previous-version"] == "1password-initial")
            #expect(fields["aegis-pending-value"] == nil && fields["aegis-pending-version"] == nil, "the pending copy is gone once current")
            #expect(try await Self.stages(store) == ["1password-initial": [.previous], "v-new": [.current]])
            #expect(try await store.lastRotation(secret: Self.location) == Self.promotedAt)

            let history = try await fake.history(item)
            #expect(history.map(\.version) == [1, 2, 3], "the item was patched, never re-created: 1Password keeps every version")
            #expect(history.first?.fields["password"] == "hand-made-dev-jwt-secret-0001")
        }
    }

    @Test("rollbacks: a discarded pending leaves the password alone; after promotion the previous value comes back")
    func rollback() async throws {
        try await OnePasswordFake.with { fake in
            let item = try await fake.makeItem(Self.title, password: "hand-made-dev-jwt-secret-0001")
            let store = Self.store(fake)
            try await store.putPending(secret: Self.location, versionID: "v-1", value: SecretValue(utf8: "first-dev-jwt-secret-0000000001"))
            try await store.discardPending(secret: Self.location, versionID: "v-1")
            try await store.discardPending(secret: Self.location, versionID: "v-1")
            var fields = try await fake.fields(item)
            #expect(fields["password"] == "hand-made-dev-jwt-secret-0001" && fields["aegis-pending-value"] == nil)
            #expect(try await Self.stages(store) == ["1password-initial": [.current]])

            try await store.putPending(secret: Self.location, versionID: "v-2", value: SecretValue(utf8: "second-dev-jwt-secret-000000002"))
            try await store.makeCurrent(secret: Self.location, versionID: "v-2")
            try await store.makeCurrent(secret: Self.location, versionID: "1password-initial")
            fields = try await fake.fields(item)
            #expect(fields["password"] == "hand-made-dev-jwt-secret-0001", "the old value is back where developers read it")
            #expect(try await Self.stages(store) == ["1password-initial": [.current], "v-2": [.previous]])
            await #expect(throws: AdapterError.self) { try await store.makeCurrent(secret: Self.location, versionID: "v-unknown") }
        }
    }

    @Test("a patch Connect refuses changes nothing, and its message never carries the value it was sent")
    func refusedPatchIsRedacted() async throws {
        try await OnePasswordFake.with { fake in
            let item = try await fake.makeItem(Self.title, password: "hand-made-dev-jwt-secret-0001")
            let value = "leaky-dev-jwt-secret-00000000042"
            try await fake.server.control(.POST, "/_fake/fail", ["method": "PATCH", "path_prefix": "/v1/vaults", "status": 400,
                                                                 "message": "Validation: field value \(value) rejected"])
            let store = Self.store(fake)
            let refused = await #expect(throws: AdapterError.self) {
                try await store.putPending(secret: Self.location, versionID: "v-new", value: SecretValue(utf8: value))
            }
            let text = refused.map { "\($0)" } ?? ""
            #expect(text.contains("HTTP 400") && text.contains("[redacted]") && !text.contains(value), "\(text)")
            #expect(refused?.isTransient == false)
            #expect(try await fake.history(item).count == 1, "nothing changed")

            try await fake.fail(method: "PATCH", status: 503)
            let unavailable = await #expect(throws: AdapterError.self) {
                try await store.putPending(secret: Self.location, versionID: "v-new", value: SecretValue(utf8: value))
            }
            #expect(unavailable?.isTransient == true)
            try await store.putPending(secret: Self.location, versionID: "v-new", value: SecretValue(utf8: value))
            #expect(try await fake.fields(item)["aegis-pending-version"] == "v-new", "the retry lands")
        }
    }

    @Test("refusals: unknown vault or item, two items with one title, no password field, a token Connect refuses, read-only, bad names")
    func refusals() async throws {
        try await OnePasswordFake.with { fake in
            let store = Self.store(fake)
            let message = { (error: AdapterError?) in error.map { "\($0)" } ?? "no error" }
            let noItem = await #expect(throws: AdapterError.self) { _ = try await store.versions(secret: Self.location) }
            #expect(message(noItem).contains("no item with that title"), "\(message(noItem))")
            let otherVault = StorageLocation(kind: .onePassword, name: Self.title, container: "someone-elses-vault")
            _ = try await fake.makeVault("someone-elses-vault")
            let noVault = await #expect(throws: AdapterError.self) { _ = try await store.versions(secret: otherVault) }
            #expect(message(noVault).contains("no vault by that name that this Connect token may read"), "\(message(noVault))")

            try await fake.makeItem(Self.title, password: "first-copy-secret-000000001")
            try await fake.makeItem(Self.title, password: "second-copy-secret-00000002")
            let twice = await #expect(throws: AdapterError.self) { _ = try await store.versions(secret: Self.location) }
            #expect(message(twice).contains("2 items in the vault have that title"), "\(message(twice))")

            let note = StorageLocation(kind: .onePassword, name: "a-secure-note", container: OnePasswordFake.vaultName)
            _ = try await fake.server.control(.POST, "/_fake/items", ["vault": fake.vaultID, "title": "a-secure-note", "category": "SECURE_NOTE", "fields": []])
            let noField = await #expect(throws: AdapterError.self) {
                try await store.putPending(secret: note, versionID: "v", value: SecretValue(utf8: "note-secret-value-000000001"))
            }
            #expect(message(noField).contains("no password field"), "\(message(noField))")

            let single = StorageLocation(kind: .onePassword, name: "only-one", container: OnePasswordFake.vaultName)
            try await fake.makeItem("only-one", password: "only-one-secret-0000000001")
            let forged = "eyJhbGciOiJFUzI1NiJ9.eyJmb3JnZWQiOnRydWV9.forged-signature-0000"
            let bad = await #expect(throws: AdapterError.self) { _ = try await Self.store(fake, token: forged).versions(secret: single) }
            #expect(message(bad).contains("HTTP 401") && !message(bad).contains(forged), "\(message(bad))")

            let readOnly = Self.store(fake, token: try await fake.makeToken(vaults: [fake.vaultID], write: false))
            #expect(try await readOnly.versions(secret: single).count == 1, "a read-only token reads")
            let denied = await #expect(throws: AdapterError.self) {
                try await readOnly.putPending(secret: single, versionID: "v", value: SecretValue(utf8: "denied-secret-value-00000001"))
            }
            #expect(message(denied).contains("HTTP 403") && message(denied).contains("not allowed"), "\(message(denied))")

            for name in ["quote\" or title eq \"x", "back\\slash", "line\nbreak", ""] {
                await #expect(throws: StepError.self) {
                    _ = try await store.versions(secret: StorageLocation(kind: .onePassword, name: name, container: OnePasswordFake.vaultName))
                }
            }
            await #expect(throws: StepError.self) { _ = try await store.versions(secret: StorageLocation(kind: .onePassword, name: Self.title)) }
            await #expect(throws: StepError.self) {
                try await store.putPending(secret: single, versionID: "v", value: SecretValue(bytes: [0xff, 0xfe, 0x00, 0x80]))
            }
        }
    }

    @Test("names with spaces and non-ASCII letters reach Connect's filter intact")
    func unicodeNames() async throws {
        try await OnePasswordFake.with { fake in
            let vault = try await fake.makeVault("Équipe dev")
            let token = try await fake.makeToken(vaults: [vault], write: true)
            _ = try await fake.server.control(.POST, "/_fake/items", [
                "vault": vault, "title": "JWT secret (dev) – ünïcode", "category": "API_CREDENTIAL",
                "fields": [["label": "credential", "type": "CONCEALED", "value": "api-credential-secret-00000001"]],
            ])
            let location = StorageLocation(kind: .onePassword, name: "JWT secret (dev) – ünïcode", container: "Équipe dev")
            let store = Self.store(fake, token: token)
            try await store.putPending(secret: location, versionID: "v-1", value: SecretValue(utf8: "api-credential-secret-00000002"))
            try await store.makeCurrent(secret: location, versionID: "v-1")
            #expect(try await store.value(secret: location, versionID: "v-1")?.revealSecretString() == "api-credential-secret-00000002",
                    "an API_CREDENTIAL item's `credential` field is the one rotated")
        }
    }
}
