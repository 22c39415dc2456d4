import Foundation

/// The parts of the `wss://…` URL that `apps.connections.open` returns which the socket needs.
struct SocketModeURL: Sendable {
    let secure: Bool
    let host: String
    let port: Int
    /// Path and query, as sent in the upgrade request (the query carries Slack's ticket).
    let path: String

    /// `Host` header: the port only when it is not the scheme's default.
    var hostHeader: String { port == (secure ? 443 : 80) ? host : "\(host):\(port)" }

    /// The TLS server name. An IP literal cannot be one (SNI carries names only); a local test
    /// server on an address presents a certificate for `localhost`.
    var serverName: String { host.first?.isNumber == true || host.contains(":") ? "localhost" : host }

    init(_ text: String) throws {
        guard let parts = URLComponents(string: text), let scheme = parts.scheme?.lowercased(),
              scheme == "wss" || scheme == "ws", let host = parts.host, !host.isEmpty else {
            throw SocketModeURLError(url: text)
        }
        secure = scheme == "wss"
        self.host = host
        port = parts.port ?? (secure ? 443 : 80)
        let base = parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath
        path = base + (parts.percentEncodedQuery.map { "?\($0)" } ?? "")
    }
}

/// `apps.connections.open` returned something that is no WebSocket URL. The URL is not repeated:
/// its query is a connection ticket.
struct SocketModeURLError: Error, CustomStringConvertible {
    let url: String
    var description: String { "apps.connections.open returned no ws:// or wss:// URL (\(url.prefix(8))…)" }
}
