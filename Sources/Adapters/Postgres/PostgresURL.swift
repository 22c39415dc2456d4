import AegisCore
import Foundation
import PostgresNIO

/// `postgres://[user[:password]@]host[:port][/database][?sslmode=disable|prefer|require]`
/// (`postgresql://` too). The password is a `SecretValue` from the moment it is parsed; parse
/// errors never quote the URL. `sslmode=require` verifies the server's certificate against the
/// system roots (stricter than libpq's `require`); `prefer` is the default, as in libpq.
public struct PostgresURL: Sendable {
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var user: String
    public var password: SecretValue?
    public var database: String?
    public var tlsMode: TLSMode

    public init(host: String, port: Int = 5432, user: String, password: SecretValue? = nil, database: String? = nil, tlsMode: TLSMode = .prefer) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tlsMode = tlsMode
    }

    public init(parsing text: String) throws(PostgresURLError) {
        guard let range = text.range(of: "://"), ["postgres", "postgresql"].contains(text[..<range.lowerBound].lowercased()) else {
            throw .invalid("scheme must be postgres:// or postgresql://")
        }
        var rest = text[range.upperBound...]
        var tlsMode = TLSMode.prefer
        if let question = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: question)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, parts[0] == "sslmode" else { throw .invalid("only the sslmode query parameter is supported") }
                guard let mode = TLSMode(rawValue: parts[1]) else { throw .invalid("sslmode must be disable, prefer or require") }
                tlsMode = mode
            }
            rest = rest[..<question]
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let path = String(rest[authorityEnd...].dropFirst())
        guard let at = authority.lastIndex(of: "@") else { throw .invalid("missing user (user@host)") }
        let userInfo = authority[..<at]
        let hostPort = authority[authority.index(after: at)...]
        let colon = userInfo.firstIndex(of: ":")
        guard let user = String(userInfo[..<(colon ?? userInfo.endIndex)]).removingPercentEncoding, !user.isEmpty else {
            throw .invalid("missing or badly encoded user")
        }
        if let colon {
            guard let password = String(userInfo[userInfo.index(after: colon)...]).removingPercentEncoding else {
                throw .invalid("password is not valid percent-encoding")
            }
            self.password = password.isEmpty ? nil : SecretValue(utf8: password)
        }
        var host = String(hostPort)
        var port = 5432
        if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") {
                guard let number = Int(after.dropFirst()), (1...65535).contains(number) else { throw .invalid("port must be 1–65535") }
                port = number
            }
        } else if let portColon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<portColon])
            guard let number = Int(hostPort[hostPort.index(after: portColon)...]), (1...65535).contains(number) else {
                throw .invalid("port must be 1–65535")
            }
            port = number
        }
        guard !host.isEmpty else { throw .invalid("missing host") }
        self.host = host
        self.port = port
        self.user = user
        self.database = path.isEmpty ? nil : path.removingPercentEncoding
        self.tlsMode = tlsMode
    }

    /// `host:port`, for messages.
    public var endpoint: String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }

    /// This server and database, logging in as `user` with `password` instead.
    public func with(user: String, password: SecretValue) -> PostgresURL {
        PostgresURL(host: host, port: port, user: user, password: password, database: database, tlsMode: tlsMode)
    }

    /// The PostgresNIO configuration. The password is revealed here, where it goes to the driver
    /// (which uses it for the SCRAM exchange: the plaintext is not sent to the server).
    /// For a connection pool (the PostgreSQL state store): the same server, login and TLS mode.
    public func clientConfiguration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch tlsMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: user,
                                                         password: password?.revealSecretString(), database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    func configuration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch tlsMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: user,
                                                             password: password?.revealSecretString(), database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}

/// A `DATABASE_URL` that cannot be used. Never quotes the URL.
public enum PostgresURLError: Error, Sendable, CustomStringConvertible, Equatable {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let reason): "DATABASE_URL is invalid: \(reason)"
        }
    }
}
