import AegisAPIFake
import AegisAWS
import AegisCore
import AegisHTTPChecks
import AegisKubernetes
import Foundation
import Logging
import Testing

/// Deployment logs held in memory: the scan's input. (Kubernetes' `pods/log` supplies them in production.)
struct FixedLogs: DeploymentLogSource {
    let lines: [String]
    func recentLines(_ location: DeployLocation, window: Duration) async throws -> [String] { lines }
}

@Suite("Runbook verification over HTTP against an aegis-api fake", .serialized)
struct HTTPChecksTests {
    let definition = SecretDefinition(
        id: "x", title: "X", aliases: [], storage: StorageLocation(kind: .awsSecretsManager, name: "x"), every: .seconds(60),
        autoRotation: nil, deploy: DeployLocation(namespace: "aegis", deployment: "aegis-api", configMap: "aegis-config"),
        strategy: "s", strategies: [:], checks: [], grace: nil, graceSetting: nil, escalation: "", sourceFile: "x.yaml", aliasesLine: 1)

    func context() -> CheckContext {
        CheckContext(definition: definition, store: NoStore(), target: nil, expectedCurrentVersion: "v1",
                     settings: RotationSettings(), logger: Logger(label: "test"))
    }

    @Test("health component: ok passes; a broken or missing component fails with what /health said; 500s retried")
    func health() async throws {
        let api = try await AegisAPIFake.start()
        defer { Task { await api.stop() } }
        let check = HealthComponentCheck(endpoint: ServiceEndpoint(baseURL: api.baseURL, token: nil), attempts: 3, pause: .milliseconds(50))
        let database = CheckDefinition(kind: .health, parameters: ["component": "database"])
        #expect(await check.run(database, context: context()).status == .passed)
        await api.setComponent("database", "down")
        let broken = await check.run(database, context: context())
        #expect(broken.status == .failed && broken.detail.contains("database: down"))
        await api.setComponent("database", "ok")
        await api.fail(next: 2)
        #expect(await check.run(database, context: context()).status == .passed, "two 500s, then healthy within three attempts")
        let missing = await check.run(CheckDefinition(kind: .health, parameters: ["component": "queue"]), context: context())
        #expect(missing.status == .failed && missing.detail.contains("no component 'queue'"))
        let unreachable = HealthComponentCheck(endpoint: ServiceEndpoint(baseURL: "http://127.0.0.1:9", token: nil), timeout: .seconds(1), attempts: 1)
        #expect(await unreachable.run(database, context: context()).detail.contains("unreachable"))
    }

    @Test("smoke test: the bearer token reads findings; a wrong or missing token fails; the token never shows")
    func smoke() async throws {
        let api = try await AegisAPIFake.start()
        defer { Task { await api.stop() } }
        let findings = CheckDefinition(kind: .smoke, parameters: ["path": "/api/v1/findings"])
        let good = await SmokeTestCheck(endpoint: ServiceEndpoint(baseURL: api.baseURL, token: SecretValue(utf8: await api.token)))
            .run(findings, context: context())
        #expect(good.status == .passed && good.detail.contains("total = 3"))
        let wrongToken = "wrong-token-value-123456"
        let bad = await SmokeTestCheck(endpoint: ServiceEndpoint(baseURL: api.baseURL, token: SecretValue(utf8: wrongToken)))
            .run(findings, context: context())
        #expect(bad.status == .failed && bad.detail == "HTTP 401")
        #expect(!bad.detail.contains(wrongToken))
        let none = await SmokeTestCheck(endpoint: ServiceEndpoint(baseURL: api.baseURL, token: nil)).run(findings, context: context())
        #expect(none.status == .failed && none.detail.contains("AEGIS_API_TOKEN"))
    }

    @Test("log scan: the runbook's pattern, case-insensitive; clean logs pass")
    func logScan() async {
        let check = CheckDefinition(kind: .logs)
        let clean = await LogScanCheck(logs: FixedLogs(lines: ["GET /health 200", "token refreshed"])).run(check, context: context())
        #expect(clean.status == .passed)
        for line in ["401 Unauthorized from upstream", "AUTH token ERROR: signature invalid", "request Forbidden"] {
            let dirty = await LogScanCheck(logs: FixedLogs(lines: ["GET /health 200", line])).run(check, context: context())
            #expect(dirty.status == .failed, "should match: \(line)")
            #expect(dirty.detail.contains("1 of 2 lines match"))
        }
    }
}

/// The checks here read no secret store.
struct NoStore: SecretStore {
    func putPending(secret: StorageLocation, versionID: String, value: SecretValue) async throws {}
    func value(secret: StorageLocation, versionID: String) async throws -> SecretValue? { nil }
    func versions(secret: StorageLocation) async throws -> [SecretVersionInfo] { [] }
    func makeCurrent(secret: StorageLocation, versionID: String) async throws {}
    func discardPending(secret: StorageLocation, versionID: String) async throws {}
}
