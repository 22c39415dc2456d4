import AegisCore
import AegisTestServers
import Foundation
import KubernetesFake

/// The GCP side of a production scenario: the GCP fake, the JWT signing key's secret made there by
/// hand with the seeded key as version 1, and the configmap naming it by its GCP version ID
/// (`gcp-1`), as an operator would have it before the bot's first rotation of a key kept in
/// Secret Manager.
struct GCPScenario: Sendable {
    static let secret = "jwt-signing-key"
    let gcp: GCPFake
    let initialValue: String
    /// The service-account key file, copied into the workspace for the operator account (the shell
    /// that requests runs as `nobody`, who cannot read the fake's own folder).
    let keyFile: String

    static func with(_ body: @Sendable (Scenario, GCPScenario) async throws -> Void) async throws {
        try await Scenario.with(edit: CommandsEdits.jwtInGCP) { scenario in
            let gcp = try await GCPFake.start()
            do {
                guard let initial = try await scenario.value(secret, stage: .current) else { throw ServerError("the seed stored no JWT key") }
                try await gcp.makeSecret(secret, firstValue: initial)
                var config = await scenario.configMap()
                config["jwt.signing_key_id"] = "gcp-1"
                await scenario.kube.addConfigMap(name: Scenario.location.configMap, data: config)
                let keyFile = scenario.workspace.folder.appendingPathComponent("gcp-service-account.json")
                try FileManager.default.copyItem(at: URL(fileURLWithPath: gcp.serviceAccountFile), to: keyFile)
                try await runProgram(executable("chown", extraFolders: ["/bin", "/usr/bin"]) ?? "/bin/chown",
                                     ["\(OperatorAccount.uid):\(OperatorAccount.uid)", keyFile.path])
                try await body(scenario, GCPScenario(gcp: gcp, initialValue: initial, keyFile: keyFile.path))
                await gcp.stop()
            } catch {
                await gcp.stop()
                throw error
            }
        }
    }

    /// The bot's settings: the fake's service-account key, endpoint and CA.
    func environment(grace: String = "1h") -> [String: String] {
        ["GOOGLE_APPLICATION_CREDENTIALS": keyFile, "CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER": gcp.url,
         "GOOGLE_CA_BUNDLE": gcp.caBundle, "AEGIS_JWT_GRACE": grace]
    }

    /// The current version's ID and value, and the previous one's value, as the bot's annotations
    /// and the aliases say.
    func stages() async throws -> (currentID: String?, current: String?, previous: String?) {
        let (aliases, annotations, _) = try await gcp.secret(Self.secret)
        let currentID = aliases["current"].map { annotations["aegis-version-\($0)"] ?? "gcp-\($0)" }
        return (currentID, try await gcp.value(Self.secret, alias: "current"), try await gcp.value(Self.secret, alias: "previous"))
    }

    func leaks(_ scenario: Scenario, outputs: [String]) async throws -> [String] {
        let everything = outputs + [gcp.log]
        let key = (try? String(contentsOfFile: gcp.serviceAccountFile, encoding: .utf8))
            .flatMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }?["private_key"] as? String
        let values = try await gcp.allValues(Self.secret) + [key].compactMap { $0 }
        return try await scenario.leaks(outputs: everything)
            + LeakScanner.leaks(of: values, in: LeakScanner.haystacks(scenario.workspace, outputs: everything))
    }
}
