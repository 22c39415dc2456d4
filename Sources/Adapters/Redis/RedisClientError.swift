import AegisCore
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// What went wrong talking to Redis. Every case's text is safe to post: it names the command and
/// the server's error code, never an argument (arguments carry passwords and their hashes).
public enum RedisClientError: Error, Sendable, CustomStringConvertible, Equatable {
    /// Could not reach the server (refused, unreachable, connect timeout).
    case unreachable(String)
    /// TLS could not be set up (handshake, certificate, server name).
    case tls(String)
    /// No reply within the command timeout; the connection was closed.
    case timeout(command: String)
    case connectionClosed
    /// The server answered with an error reply. `message` has quoted text removed (Redis quotes
    /// the offending argument in some errors).
    case reply(command: String, code: String, message: String)
    case protocolViolation(String)

    public var description: String {
        switch self {
        case .unreachable(let reason): "cannot connect: \(reason)"
        case .tls(let reason): "TLS failed: \(reason)"
        case .timeout(let command): "no reply to \(command) in time"
        case .connectionClosed: "the connection closed"
        case .reply(let command, _, let message): "\(command) refused: \(message)"
        case .protocolViolation(let reason): "unexpected reply: \(reason)"
        }
    }

    /// Worth retrying: the network or a server that is busy or still loading.
    public var isTransient: Bool {
        switch self {
        case .unreachable, .timeout, .connectionClosed: true
        case .reply(_, let code, _): ["LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN"].contains(code)
        case .tls, .protocolViolation: false
        }
    }

    /// The error reply for `command`, with anything the server quoted removed.
    static func reply(_ message: String, to command: RESPCommand) -> RedisClientError {
        let code = message.split(separator: " ", maxSplits: 1).first.map(String.init) ?? "ERR"
        return .reply(command: command.name, code: code, message: redactQuoted(message))
    }

    /// `ERR Error in ACL SETUSER modifier '#3f…': Syntax error` → `… modifier '<redacted>': …`.
    static func redactQuoted(_ message: String) -> String {
        var result = ""
        var inQuote = false
        for character in message {
            if character == "'" {
                result += inQuote ? "<redacted>'" : "'"
                inQuote.toggle()
            } else if !inQuote {
                result.append(character)
            }
        }
        return inQuote ? result + "<redacted>" : result
    }

    /// Maps a NIO or TLS error to a case, keeping only its kind.
    static func classify(_ error: any Error) -> RedisClientError {
        switch error {
        case let error as RedisClientError:
            return error
        case let error as NIOSSLError:
            return .tls("\(error)")
        case let error as NIOSSLExtraError:
            return .tls("\(error)")
        case is BoringSSLError:
            return .tls("handshake failed")
        case let error as ChannelError:
            if case .connectTimeout = error { return .unreachable("connect timed out") }
            return .connectionClosed
        case let error as IOError:
            return .unreachable(String(cString: strerror(error.errnoCode)))
        case is NIOConnectionError:
            return .unreachable("connection refused or host unreachable")
        default:
            return .unreachable("\(type(of: error))")
        }
    }
}

extension RedisClientError {
    /// The core's error type, naming the system, the operation and where.
    func adapterError(operation: String, endpoint: RedisEndpoint) -> AdapterError {
        AdapterError(system: "redis \(endpoint)", operation: operation, message: description, isTransient: isTransient)
    }
}
