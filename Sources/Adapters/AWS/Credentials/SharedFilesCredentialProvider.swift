import AegisCore
import Foundation

/// The shared credentials and config files.
///
/// Files: `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/credentials`, sections `[name]`) and
/// `AWS_CONFIG_FILE` (default `~/.aws/config`, sections `[profile name]` and `[default]`).
/// Profile: `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`, else `default`. The credentials file
/// wins over the config file for the same profile. A profile named explicitly that has no keys
/// is an error; a missing `default` profile just means "not configured here".
/// (`role_arn` / `source_profile` chaining is not supported.)
public struct SharedFilesCredentialProvider: AWSCredentialProvider {
    public let name = "shared files"
    let environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    var home: String {
        environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
    }

    func expand(_ path: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst() }
        return path
    }

    var credentialsPath: String { expand(environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "~/.aws/credentials") }
    var configPath: String { expand(environment["AWS_CONFIG_FILE"] ?? "~/.aws/config") }

    public func credentials() async throws -> AWSCredentials? {
        let explicit = environment["AWS_PROFILE"] ?? environment["AWS_DEFAULT_PROFILE"]
        let profile = explicit ?? "default"
        let credentialsFile = try read(credentialsPath)
        let configFile = try read(configPath)
        let configSection = profile == "default" ? "default" : "profile \(profile)"
        // Keys from the credentials file win, one key at a time, over the config file.
        var merged = configFile?.sections[configSection] ?? [:]
        for (key, value) in credentialsFile?.sections[profile] ?? [:] { merged[key] = value }

        guard let id = merged["aws_access_key_id"], !id.isEmpty else {
            if explicit != nil {
                throw AWSCredentialError(provider: name, message: "profile \(profile) has no aws_access_key_id in \(credentialsPath) or \(configPath)")
            }
            return nil
        }
        guard let secret = merged["aws_secret_access_key"], !secret.isEmpty else {
            throw AWSCredentialError(provider: name, message: "profile \(profile) has aws_access_key_id but no aws_secret_access_key")
        }
        let token = merged["aws_session_token"].flatMap { $0.isEmpty ? nil : SecretValue(utf8: $0) }
        return AWSCredentials(accessKeyID: id, secretAccessKey: SecretValue(utf8: secret), sessionToken: token)
    }

    func read(_ path: String) throws -> INIFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = BoundedFile.contents(path) else {
            throw AWSCredentialError(provider: name, message: "cannot read \(path)")
        }
        return INIFile(text: String(decoding: data, as: UTF8.self))
    }
}
