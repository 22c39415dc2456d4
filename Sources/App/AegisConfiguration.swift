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
        "AEGIS_AUDIT_KEY",
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
            (merged, workspace) = try Self.parseFile(text, path: path)
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
        try validate()
    }

    /// The config file: a mapping of setting names to single values, plus `shell:` with `users`
    /// and `approvers` lists of names. Anything else (a list where a value belongs, a key that is
    /// not a name, a number in a users list, YAML aliases that expand without bound) is an error
    /// naming the file and line, never silently ignored.
    static func parseFile(_ text: String, path: String) throws -> ([String: String], (users: [String], approvers: [String])?) {
        func problem(_ line: Int?, _ message: String) -> Problem { Problem(key: "AEGIS_CONFIG", message: "\(path):\(line ?? 1): \(message)") }
        let root: Node
        do {
            try YAMLBounds.check(text: text)
            guard let node = try Yams.compose(yaml: text, .basic, .default, .utf8) else { return ([:], nil) }  // as InventoryLoader
            try YAMLBounds.check(node)
            root = node
        } catch let violation as YAMLBounds.Violation {
            throw problem(violation.line, "\(violation.key) \(violation.problem)")
        } catch {
            throw problem(nil, "not valid YAML: \(error)")
        }
        guard case .mapping(let mapping) = root else { throw problem(root.mark?.line, "expected a mapping of settings") }
        var values: [String: String] = [:]
        var workspace: (users: [String], approvers: [String])?
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else { throw problem(keyNode.mark?.line, "a key must be a setting name") }
            let key = keyScalar.string
            if key == "shell" {
                guard case .mapping(let shell) = valueNode else { throw problem(valueNode.mark?.line, "shell: expected users: and approvers: lists") }
                var lists: [String: [String]] = [:]
                for (listKey, listNode) in shell {
                    let name = listKey.string ?? "?"
                    guard ["users", "approvers"].contains(name) else { throw problem(listKey.mark?.line, "shell.\(name): unknown key; known: approvers, users") }
                    guard case .sequence(let sequence) = listNode else { throw problem(listNode.mark?.line, "shell.\(name): expected a list of names") }
                    var names: [String] = []
                    for item in sequence {
                        guard case .scalar(let scalar) = item, scalar.style != .plain || Int(scalar.string) == nil,
                              !scalar.string.isEmpty else {
                            throw problem(item.mark?.line, "shell.\(name): every entry must be a user name (text), not a number, list or mapping")
                        }
                        names.append(scalar.string)
                    }
                    let normalized = names.map(PersonName.normalize)
                    if let duplicate = normalized.first(where: { name in normalized.filter { $0 == name }.count > 1 }) {
                        throw problem(listNode.mark?.line, "shell.\(name): '\(duplicate)' appears twice (names are compared ignoring case and Unicode form)")
                    }
                    lists[name] = normalized
                }
                workspace = (lists["users"] ?? [], lists["approvers"] ?? [])
                continue
            }
            guard case .scalar(let value) = valueNode else {
                throw problem(valueNode.mark?.line, "\(key): expected a single value, not a list or a mapping")
            }
            values[key] = value.string
        }
        return (values, workspace)
    }

    /// Numbers and durations the code relies on, checked once so a typo is an error (exit 4)
    /// instead of a silent default.
    func validate() throws {
        for (key, range) in [("AEGIS_STEP_ATTEMPTS", 1...10), ("AEGIS_SOCKET_CONNECTIONS", 1...10)] {
            guard let text = string(key) else { continue }
            guard let value = Int(text), range.contains(value) else {
                throw Problem(key: key, message: "'\(text.prefix(40))' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
        }
        let durations: [(String, Duration, Duration)] = [
            ("AEGIS_TIMER_POLL", .milliseconds(10), .seconds(3_600)), ("AEGIS_RETRY_BASE", .milliseconds(1), .seconds(600)),
            ("AEGIS_PROVIDER_TIMEOUT", .seconds(1), .seconds(600)), ("AEGIS_APPROVAL_TTL", .seconds(1), .seconds(7 * 86_400)),
            ("AEGIS_LOG_SCAN_WINDOW", .zero, .seconds(3_600)), ("AEGIS_KEY_WAIT", .seconds(1), .seconds(7 * 86_400)),
            ("AEGIS_DUE_CHECK_INTERVAL", .seconds(60), .seconds(365 * 86_400)),
            ("AEGIS_SLACK_PACE", .milliseconds(10), .seconds(10)), ("AEGIS_LEASE_TTL", .seconds(1), .seconds(600)),
        ]
        for (key, low, high) in durations where string(key) != nil {
            let value = try duration(key, default: low)
            guard value >= low, value <= high else {
                throw Problem(key: key, message: "\(DurationText.format(value)) is out of range: from \(DurationText.format(low)) to \(DurationText.format(high))")
            }
        }
        _ = try shutdownGrace()
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

    /// The audit chain's key: `AEGIS_AUDIT_KEY` (or `_FILE`). Required in production; the local
    /// sandbox makes and keeps one in `localKeyFile` when none is set.
    public func auditKey(environment: AegisEnvironment, localKeyFile: String) throws -> AuditKey {
        do {
            if let material = secret("AEGIS_AUDIT_KEY") { return try AuditKey(material: material) }
            guard environment == .local else {
                throw Problem(key: "AEGIS_AUDIT_KEY", message: "is required with AEGIS_ENV=production (at least 32 bytes, e.g. `openssl rand -base64 48`, or AEGIS_AUDIT_KEY_FILE)")
            }
            return try AuditKey.localKeyFile(localKeyFile)
        } catch let error as AuditKeyError {
            throw Problem(key: "AEGIS_AUDIT_KEY", message: error.description)
        }
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
        let attempts = Int(string("AEGIS_STEP_ATTEMPTS") ?? "3") ?? 3  // validated in init
        return RotationSettings(
            approvalTTL: try duration("AEGIS_APPROVAL_TTL", default: .seconds(1_800)),
            logScanWindow: try duration("AEGIS_LOG_SCAN_WINDOW", default: .seconds(300)),
            graceOverrides: overrides,
            approverChannel: approverChannel,
            escalationChannel: escalationChannel,
            stepAttempts: max(1, attempts),
            retryBaseDelay: try duration("AEGIS_RETRY_BASE", default: .seconds(1)),
            timerPollInterval: try duration("AEGIS_TIMER_POLL", default: .seconds(30)),
            dueCheckInterval: try duration("AEGIS_DUE_CHECK_INTERVAL", default: .seconds(86_400)),
            shutdownGrace: try shutdownGrace(),
            leaseTTL: try duration("AEGIS_LEASE_TTL", default: .seconds(30))
        )
    }
}
