import AegisAWS
import AegisCore
import AegisStateSQLite
import Foundation
import Logging
import Testing

/// The AWS module's own settings: a poll interval that is not a positive duration keeps the app
/// from starting (it is reported, not replaced by the default).
@Suite("AWS module settings", .timeLimit(.minutes(1)))
struct AWSModuleSettingsTests {
    static func wire(_ extra: [String: String]) async throws -> AdapterWiring {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-aws-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let state = try SQLiteStateStore(path: folder.appendingPathComponent("state.sqlite").path,
                                         auditKey: try AuditKey(material: SecretValue(utf8: "test-audit-key-0123456789abcdef-0123456789")))
        let values = ["AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLESETTINGS1",
                      "AWS_SECRET_ACCESS_KEY": "settings-test-secret-0123456789abcdefghij"].merging(extra) { $1 }
        var wiring = AdapterWiring()
        AWSModule.wire(AdapterSetup(values: values, state: state, timeout: .seconds(5), logger: Logger(label: "test")), into: &wiring)
        for close in wiring.closers { await close() }
        return wiring
    }

    @Test("AEGIS_RDS_POLL / AEGIS_ELASTICACHE_POLL: a duration is taken; nonsense, 0s or a negative value is an invalid setting naming the key")
    func pollIntervals() async throws {
        let good = try await Self.wire(["AEGIS_RDS_POLL": "2s", "AEGIS_ELASTICACHE_POLL": "500ms"])
        #expect(good.invalidSettings.isEmpty, "\(good.invalidSettings)")
        #expect(good.steps[.rdsMasterPassword] != nil && good.steps[.elastiCacheAuthToken] != nil)
        for (key, value) in [("AEGIS_RDS_POLL", "soon"), ("AEGIS_ELASTICACHE_POLL", "0s"), ("AEGIS_RDS_POLL", "-5s")] {
            let bad = try await Self.wire([key: value])
            #expect(bad.invalidSettings.map(\.description) == ["\(key) is not a positive duration such as 5s or 2m"], "\(key)=\(value)")
        }
    }
}
