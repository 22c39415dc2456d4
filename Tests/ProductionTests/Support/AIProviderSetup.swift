import AegisAWS
import AegisCore
import AegisTestServers
import Foundation
import NIOHTTP1
import Testing

/// The OpenAI and Anthropic production tests' shared setup: the Commands edits that point the
/// OpenAI file at the fake's project and service account, seeding a key in Secrets Manager, the
/// settings the bot runs with, and the leak scan over the AI keys and admin credentials (which
/// `Scenario.allSecretValues` does not know about).
enum AIProviderSetup {
    /// `openai-api-key.yaml` with the fake's IDs and the chosen strategy.
    static func openAIEdit(_ setup: OpenAIFakeProject, strategy: String) -> CommandsEdits.Edit {
        let project = setup.project
        let account = setup.serviceAccount
        return ["openai-api-key.yaml": {
            $0.replacingOccurrences(of: "proj_aegis", with: project)
                .replacingOccurrences(of: "svc_acct_aegis_api", with: account)
                .replacingOccurrences(of: "\nstrategy: console-key\n", with: "\nstrategy: \(strategy)\n")
        }]
    }

    static func openAIEnvironment(_ fake: PythonFake, _ setup: OpenAIFakeProject, grace: String = "1h") -> [String: String] {
        ["OPENAI_BASE_URL": fake.url + "/v1", "OPENAI_ADMIN_KEY": setup.admin, "AEGIS_OPENAI_GRACE": grace]
    }

    static func anthropicEnvironment(_ fake: PythonFake, admin: String, grace: String = "1h") -> [String: String] {
        ["ANTHROPIC_BASE_URL": fake.url, "ANTHROPIC_ADMIN_KEY": admin, "AEGIS_ANTHROPIC_GRACE": grace]
    }

    /// `current` as the secret's current version and, when given, `pending` staged as pending
    /// (what an operator does with `put-secret-value --version-stages AWSPENDING`).
    static func seed(_ scenario: Scenario, _ secret: String, current: String, pending: String? = nil) async throws {
        let storage = try scenario.definition(secret).storage
        _ = try await scenario.store.createSecret(name: storage.name, versionID: SecretGenerator.versionID(), value: SecretValue(utf8: current))
        if let pending {
            try await scenario.store.putPending(secret: storage, versionID: SecretGenerator.versionID(), value: SecretValue(utf8: pending))
        }
    }

    /// Every value of every version of `secret` in the store.
    static func storedValues(_ scenario: Scenario, _ secret: String) async throws -> [String] {
        let storage = try scenario.definition(secret).storage
        var values: [String] = []
        for version in try await scenario.store.versions(secret: storage) {
            if let value = try await scenario.store.value(secret: storage, versionID: version.versionID) { values.append(value.revealSecretString()) }
        }
        return values
    }

    /// Files and outputs holding any scenario secret, any stored version of `secret`, or `extra`
    /// (admin keys, keys that were minted and deleted).
    static func leaks(_ scenario: Scenario, secret: String, outputs: [String], extra: [String]) async throws -> [String] {
        let values = try await scenario.allSecretValues() + storedValues(scenario, secret) + extra
        return LeakScanner.leaks(of: values, in: LeakScanner.haystacks(scenario.workspace, outputs: outputs))
    }

    /// What the OpenAI fake answers `GET /v1/models` with `key`: 200 or 401.
    static func openAIModelsStatus(_ fake: PythonFake, key: String) async throws -> Int {
        try await fake.api(.GET, "/v1/models", headers: ["Authorization": "Bearer \(key)"]).status
    }

    /// The Anthropic fake's key statuses by ID.
    static func anthropicStatuses(_ fake: PythonFake) async throws -> [String: String] {
        let keys = try #require(try await fake.control(.GET, "/_fake/keys") as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: keys.compactMap { key in
            (key["id"] as? String).map { ($0, key["status"] as? String ?? "?") }
        })
    }

    static func anthropicAdmin(_ fake: PythonFake) async throws -> String {
        let made = try #require(try await fake.control(.POST, "/_fake/admin-keys", [:]) as? [String: Any])
        return try #require(made["value"] as? String)
    }

    static func anthropicConsoleKey(_ fake: PythonFake, name: String) async throws -> (id: String, value: String) {
        let made = try #require(try await fake.control(.POST, "/_fake/keys", ["name": name]) as? [String: Any])
        return (try #require(made["id"] as? String), try #require(made["value"] as? String))
    }
}
