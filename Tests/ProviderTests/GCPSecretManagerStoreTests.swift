@testable import AegisGCP
import AegisCore
import AegisTestServers
import Foundation
import NIOHTTP1
import Testing

/// The `gcp-secret-manager` store at the GCP fake: stages in version aliases, our IDs in
/// annotations, payloads with their CRC32C, nothing ever destroyed, and each of the three ways
/// the bot gets a Google token.
@Suite("GCP Secret Manager store: stages in aliases, rollback writes the current value back", .timeLimit(.minutes(3)))
struct GCPSecretManagerStoreTests {
    static let location = StorageLocation(kind: .gcpSecretManager, name: "jwt-signing-key", container: GCPFake.project)

    static func store(_ fake: GCPFake, _ credential: GoogleCredential) -> GCPSecretManagerStore {
        let http = fake.server.http
        let tokens = GoogleTokens(credential: credential, http: http, timeout: .seconds(10), clock: SystemWallClock())
        return GCPSecretManagerStore(client: SecretManagerClient(endpoint: URL(string: fake.url)!, http: http, tokens: tokens, timeout: .seconds(10)))
    }

    static func serviceAccount(_ fake: GCPFake) throws -> GoogleCredential {
        .serviceAccount(try ServiceAccountKey(json: try Data(contentsOf: URL(fileURLWithPath: fake.serviceAccountFile)), path: fake.serviceAccountFile))
    }

    static func stages(_ store: GCPSecretManagerStore) async throws -> [String: Set<SecretStage>] {
        Dictionary(uniqueKeysWithValues: try await store.versions(secret: location).map { ($0.versionID, $0.stages) })
    }

    @Test("a hand-made secret: version 1 is current; pending, makeCurrent, previous; re-runs add nothing")
    func promote() async throws {
        try await GCPFake.with { fake in
            try await fake.makeSecret(Self.location.name, firstValue: "hand-made-signing-key-000001")
            let store = Self.store(fake, try Self.serviceAccount(fake))
            #expect(try await Self.stages(store) == ["gcp-1": [.current]])
            #expect(try await store.lastRotation(secret: Self.location) != nil, "due reads the current version's createTime")

            try await store.putPending(secret: Self.location, versionID: "v-new", value: SecretValue(utf8: "new-signing-key-0000000002"))
            try await store.putPending(secret: Self.location, versionID: "v-new", value: SecretValue(utf8: "new-signing-key-0000000002"))
            #expect(try await fake.secret(Self.location.name).versions.count == 2, "the second putPending added nothing")
            #expect(try await Self.stages(store) == ["gcp-1": [.current], "v-new": [.pending]])
            #expect(try await fake.value(Self.location.name, alias: "current") == "hand-made-signing-key-000001", "versions/current is still the old value")
            #expect(try await store.value(secret: Self.location, versionID: "v-new")?.revealSecretString() == "new-signing-key-0000000002")

            try await store.makeCurrent(secret: Self.location, versionID: "v-new")
            try await store.makeCurrent(secret: Self.location, versionID: "v-new")
            #expect(try await Self.stages(store) == ["gcp-1": [.previous], "v-new": [.current]])
            #expect(try await fake.value(Self.location.name, alias: "current") == "new-signing-key-0000000002")
            let requests = try await fake.requests()
            #expect(requests.filter { ($0["path"] as? String)?.hasSuffix(":addVersion") == true }.count == 2, "the seed's and the rotation's")
            #expect(requests.allSatisfy { $0["auth"] as? String == "bearer" || ($0["path"] as? String)?.hasPrefix("/_fake") == true || $0["path"] as? String == "/token" })
        }
    }

    @Test("discard of the newest version: the current value is added again as the newest, the new one disabled, nothing destroyed")
    func discard() async throws {
        try await GCPFake.with { fake in
            try await fake.makeSecret(Self.location.name, firstValue: "hand-made-signing-key-000001")
            let store = Self.store(fake, .accessToken(SecretValue(utf8: try await fake.accessToken())))
            try await store.putPending(secret: Self.location, versionID: "v-new", value: SecretValue(utf8: "new-signing-key-0000000002"))
            try await store.discardPending(secret: Self.location, versionID: "v-new")
            try await store.discardPending(secret: Self.location, versionID: "v-new")
            let (aliases, annotations, versions) = try await fake.secret(Self.location.name)
            #expect(versions.map { $0["state"] as? String } == ["ENABLED", "DISABLED", "ENABLED"], "\(versions.map { $0["state"] ?? "" })")
            #expect(versions.last?["value"] as? String == "hand-made-signing-key-000001", "latest is the old value again")
            #expect(aliases["current"] == "3" && aliases["pending"] == nil, "\(aliases)")
            #expect(annotations["aegis-version-3"] == "gcp-1", "the write-back holds the same version ID")
            #expect(try await Self.stages(store) == ["gcp-1": [.current]])
            #expect(!versions.contains { $0["state"] as? String == "DESTROYED" })

            try await store.putPending(secret: Self.location, versionID: "v-2", value: SecretValue(utf8: "second-signing-key-00000003"))
            try await store.makeCurrent(secret: Self.location, versionID: "v-2")
            #expect(try await Self.stages(store) == ["gcp-1": [.previous], "v-2": [.current]])
        }
    }

    @Test("a crash between addVersion and naming it: the re-run adopts the version instead of adding a second")
    func adoptsOrphan() async throws {
        try await GCPFake.with { fake in
            try await fake.makeSecret(Self.location.name, firstValue: "hand-made-signing-key-000001")
            let store = Self.store(fake, .metadata(host: fake.metadataHost))
            try await fake.fail(method: "PATCH", pathPrefix: "/v1/projects", status: 503, count: 1)
            // The first PATCH (aegis-staging) fails: nothing is added.
            await #expect(throws: AdapterError.self) {
                try await store.putPending(secret: Self.location, versionID: "v-new", value: SecretValue(utf8: "new-signing-key-0000000002"))
            }
            #expect(try await fake.secret(Self.location.name).versions.count == 1)
            let token = try await fake.accessToken()
            let name = "/v1/projects/\(GCPFake.project)/secrets/\(Self.location.name)"
            let secret = try await fake.server.api(.GET, name, headers: ["Authorization": "Bearer \(token)"]).json as? [String: Any] ?? [:]
            // What a run that crashed right after addVersion leaves: staging named, current pinned, the version added.
            let patched = try await fake.server.api(.PATCH, name + "?updateMask=annotations,versionAliases", headers: ["Authorization": "Bearer \(token)"],
                                                    ["annotations": ["aegis-staging": "v-new"], "versionAliases": ["current": "1"], "etag": secret["etag"] ?? ""])
            #expect(patched.status == 200)
            let added = try await fake.server.api(.POST, name + ":addVersion", headers: ["Authorization": "Bearer \(token)"],
                                                  ["payload": ["data": Data("new-signing-key-0000000002".utf8).base64EncodedString()]])
            #expect(added.status == 200)
            try await store.putPending(secret: Self.location, versionID: "v-new", value: SecretValue(utf8: "new-signing-key-0000000002"))
            let (aliases, annotations, versions) = try await fake.secret(Self.location.name)
            #expect(versions.count == 2, "adopted, not added again")
            #expect(aliases["pending"] == "2" && annotations["aegis-version-2"] == "v-new" && annotations["aegis-staging"] == nil, "\(aliases) \(annotations)")
        }
    }

    @Test("refusals: an unknown secret, a token Google refuses (401, after one fresh try), a bad project ID")
    func refusals() async throws {
        try await GCPFake.with { fake in
            let store = Self.store(fake, try Self.serviceAccount(fake))
            let missing = await #expect(throws: AdapterError.self) { _ = try await store.versions(secret: Self.location) }
            #expect(missing.map { "\($0)".contains("404") } == true, "\(String(describing: missing))")
            #expect(missing?.isTransient == false)

            let forged = Self.store(fake, .accessToken(SecretValue(utf8: "ya29.forged-token-not-issued-by-the-fake")))
            let refused = await #expect(throws: AdapterError.self) { _ = try await forged.versions(secret: Self.location) }
            #expect(refused.map { "\($0)".contains("UNAUTHENTICATED") && !"\($0)".contains("forged-token") } == true, "\(String(describing: refused))")

            let bad = StorageLocation(kind: .gcpSecretManager, name: "x/../../other", container: GCPFake.project)
            await #expect(throws: StepError.self) { _ = try await store.versions(secret: bad) }
            #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283, "the CRC-32C check value (RFC 3720)")
        }
    }
}
