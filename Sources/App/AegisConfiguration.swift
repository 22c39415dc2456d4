import AegisCore
import Foundation
import Yams

/// Settings from the environment and an optional config file (`AEGIS_CONFIG`, or
/// `aegis-rotate.yaml` in the working folder). The environment wins. Every token and connection
/// string (``fileBackedSettings``) can also be read from a mounted file named by `X_FILE` (for
/// values kept in Kubernetes Secrets).
public struct AegisConfiguration: Sendable {
    /// Settings with a `_FILE` variant. A fixed list: other tools' `*_FILE` variables (such as
    /// `AWS_CONFIG_FILE`) are paths with their own meaning, not values to read.
    public static let fileBackedSettings: Set<String> = [
        "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "AEGIS_API_TOKEN", "AEGIS_STATE_URL", "DATABASE_URL", "REDIS_URL",
        "ANTHROPIC_ADMIN_KEY", "OPENAI_ADMIN_KEY", "OKTA_API_TOKEN", "OP_CONNECT_TOKEN", "AZURE_CLIENT_SECRET",
    ]

    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let key: String
        public let message: String
        public var description: String { "configuration \(key): \(message)" }
    }

    let values: [String: String]
    public let workspace: (users: [String], approvers: [String])?

    /// Reads `environment` and the config file it names.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var merged: [String: String] = [:]
        var workspace: (users: [String], approvers: [String])?
        let explicitFile = environment["AEGIS_CONFIG"]
        let path = explicitFile ?? "aegis-rotate.yaml"
        if FileManager.default.fileExists(atPath: path) {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            guard let root = try Yams.load(yaml: text) as? [String: Any] else {
                throw Problem(key: "AEGIS_CONFIG", message: "\(path) is not a mapping of settings")
            }
            for (key, value) in root where key != "shell" { merged[key] = "\(value)" }
            if let shell = root["shell"] as? [String: Any] {
                workspace = ((shell["users"] as? [String]) ?? [], (shell["approvers"] as? [String]) ?? [])
            }
        } else if let explicitFile {
            throw Problem(key: "AEGIS_CONFIG", message: "\(explicitFile) does not exist")
        }
        for (key, value) in environment { merged[key] = value }
        for base in Self.fileBackedSettings {
            guard let file = merged["\(base)_FILE"], environment[base] == nil else { continue }
            let key = "\(base)_FILE"
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw Problem(key: key, message: "cannot read \(file)")
            }
            merged[base] = contents.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        self.values = merged
        self.workspace = workspace
    }

    public func string(_ key: String) -> String? {
        guard let value = values[key], !value.isEmpty else { return nil }
        return value
    }

    public func duration(_ key: String, default fallback: Duration) throws -> Duration {
        guard let text = string(key) else { return fallback }
        do { return try DurationText.parse(text) } catch { throw Problem(key: key, message: error.description) }
    }

    /// A token as a ``SecretValue``, so it cannot end up in a log line.
    public func secret(_ key: String) -> SecretValue? { string(key).map { SecretValue(utf8: $0) } }

    public var commandsDirectory: URL { URL(fileURLWithPath: string("AEGIS_COMMANDS_DIR") ?? "Commands") }

    public var stateURL: String { string("AEGIS_STATE_URL") ?? "sqlite://.aegis-rotate/state.sqlite" }

    /// `AEGIS_ENV`, defaulting by mode: `local` for the shell and CLI, `production` for the bot.
    public func environment(default fallback: AegisEnvironment) throws -> AegisEnvironment {
        guard let text = string("AEGIS_ENV") else { return fallback }
        guard let value = AegisEnvironment(rawValue: text) else {
            throw Problem(key: "AEGIS_ENV", message: "'\(text)' is not one of local, production")
        }
        return value
    }

    /// The sandbox folder: `AEGIS_LOCAL_DIR`, else `local/` beside the SQLite state file.
    public var localDirectory: URL {
        if let explicit = string("AEGIS_LOCAL_DIR") { return URL(fileURLWithPath: explicit) }
        let statePath = stateURL.hasPrefix("sqlite://") ? String(stateURL.dropFirst("sqlite://".count)) : ".aegis-rotate/state.sqlite"
        return URL(fileURLWithPath: statePath).deletingLastPathComponent().appendingPathComponent("local", isDirectory: true)
    }

    /// `AEGIS_APPROVER_CHANNEL` without a leading `#`.
    public var approverChannel: String {
        (string("AEGIS_APPROVER_CHANNEL") ?? "security-ops").trimmingCharacters(in: CharacterSet(charactersIn: "#"))
    }

    /// `AEGIS_ESCALATION_CHANNEL` without a leading `#`.
    public var escalationChannel: String {
        (string("AEGIS_ESCALATION_CHANNEL") ?? "platform-support").trimmingCharacters(in: CharacterSet(charactersIn: "#"))
    }

    /// `AEGIS_SHUTDOWN_GRACE` (default 4s, at most 6s): what a running step gets after SIGTERM.
    /// Capped so that the whole shutdown (sockets, step, clients) fits in the 10 s the bot promises.
    func shutdownGrace() throws -> Duration {
        let grace = try duration("AEGIS_SHUTDOWN_GRACE", default: .seconds(4))
        guard grace <= .seconds(6) else {
            throw Problem(key: "AEGIS_SHUTDOWN_GRACE", message: "\(grace) is longer than 6s; the bot must exit within 10 s of SIGTERM")
        }
        return grace
    }

    public func rotationSettings(inventory: Inventory) throws -> RotationSettings {
        var overrides: [String: Duration] = [:]
        for setting in Set(inventory.definitions.compactMap(\.graceSetting)) {
            if string(setting) != nil { overrides[setting] = try duration(setting, default: .zero) }
        }
        let attempts = Int(string("AEGIS_STEP_ATTEMPTS") ?? "3") ?? 3
        return RotationSettings(
            approvalTTL: try duration("AEGIS_APPROVAL_TTL", default: .seconds(1_800)),
            logScanWindow: try duration("AEGIS_LOG_SCAN_WINDOW", default: .seconds(300)),
            graceOverrides: overrides,
            approverChannel: approverChannel,
            escalationChannel: escalationChannel,
            stepAttempts: max(1, attempts),
            retryBaseDelay: try duration("AEGIS_RETRY_BASE", default: .seconds(1)),
            timerPollInterval: try duration("AEGIS_TIMER_POLL", default: .seconds(1)),
            dueCheckInterval: try duration("AEGIS_DUE_CHECK_INTERVAL", default: .seconds(86_400)),
            shutdownGrace: try shutdownGrace()
        )
    }
}
