import AegisCore
import Foundation
import Yams

/// Reading a kubeconfig file: the current (or named) context's cluster and user. Relative paths
/// are resolved against the file's folder, as kubectl does. Exec and auth-provider plugins are
/// refused: running arbitrary commands for credentials is out of scope for the bot.
extension KubeConfig {
    public static func load(path: String, context: String? = nil) throws -> KubeConfig {
        guard let data = BoundedFile.contents(path) else { throw KubeConfigError("cannot read \(path)") }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(String(decoding: data, as: UTF8.self), baseDirectory: folder, context: context)
    }

    public static func parse(_ yaml: String, baseDirectory: String, context contextName: String? = nil) throws -> KubeConfig {
        let root = try KubeConfigYAML.load(yaml)
        guard let name = contextName ?? root["current-context"] as? String, !name.isEmpty else {
            throw KubeConfigError("no current-context")
        }
        guard let context = named(root["contexts"], name)?["context"] as? [String: Any] else {
            throw KubeConfigError("context \"\(name)\" not found")
        }
        guard let clusterName = context["cluster"] as? String,
              let cluster = named(root["clusters"], clusterName)?["cluster"] as? [String: Any] else {
            throw KubeConfigError("cluster of context \"\(name)\" not found")
        }
        guard let serverText = cluster["server"] as? String, let server = URL(string: serverText),
              server.scheme == "https" || server.scheme == "http" else {
            throw KubeConfigError("cluster \"\(clusterName)\" has no http(s) server")
        }
        var tls = KubeTLS(insecureSkipVerify: cluster["insecure-skip-tls-verify"] as? Bool ?? false)
        tls.certificateAuthorityPEM = try material(cluster, inline: "certificate-authority-data", file: "certificate-authority", base: baseDirectory)
        var credential = KubeCredential.none
        if let userName = context["user"] as? String, !userName.isEmpty {
            guard let user = named(root["users"], userName)?["user"] as? [String: Any] else {
                throw KubeConfigError("user \"\(userName)\" not found")
            }
            if let exec = user["exec"] as? [String: Any] {
                let command = exec["command"] as? String ?? "?"
                throw KubeConfigError("user \"\(userName)\" uses an exec credential plugin (\(command)); exec plugins are unsupported: use token, tokenFile or a client certificate")
            }
            if user["auth-provider"] != nil {
                throw KubeConfigError("user \"\(userName)\" uses an auth-provider plugin; unsupported: use token, tokenFile or a client certificate")
            }
            if let token = user["token"] as? String, !token.isEmpty {
                credential = .token(SecretValue(utf8: token))
            } else if let file = user["tokenFile"] as? String, !file.isEmpty {
                credential = .tokenFile(resolve(file, base: baseDirectory))
            }
            tls.clientCertificatePEM = try material(user, inline: "client-certificate-data", file: "client-certificate", base: baseDirectory)
            tls.clientKeyPEM = try material(user, inline: "client-key-data", file: "client-key", base: baseDirectory).map(SecretValue.init(bytes:))
            if (tls.clientCertificatePEM == nil) != (tls.clientKeyPEM == nil) {
                throw KubeConfigError("user \"\(userName)\" has a client certificate without its key, or a key without its certificate")
            }
        }
        return KubeConfig(server: server, namespace: context["namespace"] as? String, tls: tls, credential: credential)
    }

    /// The entry called `name` in a kubeconfig list (`clusters`, `contexts`, `users`).
    static func named(_ list: Any?, _ name: String) -> [String: Any]? {
        (list as? [[String: Any]])?.first { $0["name"] as? String == name }
    }

    /// `<key>-data` (base64) wins over `<key>` (a path), as in kubectl.
    static func material(_ entry: [String: Any], inline: String, file: String, base: String) throws -> [UInt8]? {
        if let encoded = entry[inline] as? String, !encoded.isEmpty {
            guard let data = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else {
                throw KubeConfigError("\(inline) is not base64")
            }
            return Array(data)
        }
        if let path = entry[file] as? String, !path.isEmpty {
            let resolved = resolve(path, base: base)
            switch BoundedFile.read(resolved) {
            case .success(let bytes): return bytes
            case .failure(let failure): throw KubeConfigError("\(file) \(resolved) \(failure)")
            }
        }
        return nil
    }

    static func resolve(_ path: String, base: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: base).appendingPathComponent(path).path
    }
}
