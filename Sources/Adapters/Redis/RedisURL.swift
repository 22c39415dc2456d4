import AegisCore
import Foundation

/// Where a Redis server listens, without credentials. Its description (`host:port`, with
/// `rediss` for TLS) is what error messages name.
public struct RedisEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var useTLS: Bool
    /// `SELECT`ed after login when set (the URL's `/db`).
    public var database: Int?

    public init(host: String, port: Int = 6379, useTLS: Bool = false, database: Int? = nil) {
        self.host = host
        self.port = port
        self.useTLS = useTLS
        self.database = database
    }

    public var description: String { (useTLS ? "rediss://" : "") + (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }
}

/// `redis://[user[:password]@]host[:port][/db]` or `rediss://…` (TLS). User and password may be
/// percent-encoded. The password is a `SecretValue` from the moment it is parsed, and parse
/// errors never quote the URL (it may hold the password).
public struct RedisURL: Sendable {
    public var endpoint: RedisEndpoint
    public var user: String?
    public var password: SecretValue?

    public init(endpoint: RedisEndpoint, user: String? = nil, password: SecretValue? = nil) {
        self.endpoint = endpoint
        self.user = user
        self.password = password
    }

    public init(parsing text: String) throws(RedisURLError) {
        let scheme: String
        let rest: Substring
        if let range = text.range(of: "://") {
            scheme = text[..<range.lowerBound].lowercased()
            rest = text[range.upperBound...]
        } else {
            throw .invalid("missing scheme; expected redis:// or rediss://")
        }
        guard scheme == "redis" || scheme == "rediss" else { throw .invalid("scheme must be redis or rediss") }
        guard !rest.contains("?"), !rest.contains("#") else { throw .invalid("query and fragment are not supported") }

        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...].dropFirst()

        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            let (userPart, passwordPart): (Substring, Substring?) = {
                guard let colon = userInfo.firstIndex(of: ":") else { return (userInfo, nil) }
                return (userInfo[..<colon], userInfo[userInfo.index(after: colon)...])
            }()
            guard let decodedUser = String(userPart).removingPercentEncoding else { throw .invalid("user is not valid percent-encoding") }
            user = decodedUser.isEmpty ? nil : decodedUser
            if let passwordPart {
                guard let decoded = String(passwordPart).removingPercentEncoding else {
                    throw .invalid("password is not valid percent-encoding")
                }
                password = decoded.isEmpty ? nil : SecretValue(utf8: decoded)
            }
        }

        let host: String
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw .invalid("unclosed [ in IPv6 host") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalid("unexpected text after IPv6 host") }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = String(hostPort)
        }
        guard !host.isEmpty else { throw .invalid("missing host") }
        var port = 6379
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else { throw .invalid("port must be 1–65535") }
            port = number
        }
        var database: Int?
        if !path.isEmpty {
            guard let number = Int(path), number >= 0 else { throw .invalid("database must be a non-negative number") }
            database = number
        }
        endpoint = RedisEndpoint(host: host, port: port, useTLS: scheme == "rediss", database: database)
    }
}

/// A `REDIS_URL` that cannot be used. Never quotes the URL.
public enum RedisURLError: Error, Sendable, CustomStringConvertible, Equatable {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let reason): "REDIS_URL is invalid: \(reason)"
        }
    }
}
