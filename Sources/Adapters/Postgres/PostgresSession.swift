import AegisCore
import Foundation
import Logging
import PostgresNIO

/// One short-lived connection for one job: connect, run `body`, close. Every failure comes out
/// as an `AdapterError` naming the host, the role and what was being done, never the password.
enum PostgresSession {
    @discardableResult
    /// - Parameter credentials: where the login's password came from (`DATABASE_URL`), for messages.
    static func with<T: Sendable>(_ url: PostgresURL, operation: String, credentials: String? = nil, logger: Logger,
                                  _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: try url.configuration(), id: 1, logger: logger)
        } catch {
            let login = "\(operation): login as role '\(url.user)'" + (credentials.map { " (\($0))" } ?? "")
            throw adapterError(error, url: url, operation: login)
        }
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw adapterError(error, url: url, operation: operation)
        }
    }

    /// SQLSTATEs that mean "try again later": connection exceptions (08), insufficient
    /// resources (53), operator intervention such as a starting or shutting-down server (57P0x),
    /// serialization failures and deadlocks (40001, 40P01).
    static func isTransient(sqlState: String) -> Bool {
        sqlState.hasPrefix("08") || sqlState.hasPrefix("53") || ["57P01", "57P02", "57P03", "40001", "40P01"].contains(sqlState)
    }

    static func adapterError(_ error: any Error, url: PostgresURL, operation: String) -> AdapterError {
        let system = "postgres \(url.endpoint)"
        switch error {
        case let error as AdapterError:
            return error
        case let error as PSQLError:
            switch error.code {
            case .server:
                let state = error.serverInfo?[.sqlState] ?? "?????"
                let message = error.serverInfo?[.message] ?? "server error"
                if state.hasPrefix("28") {
                    return AdapterError(system: system, operation: operation,
                                        message: "refused: \(message) (SQLSTATE \(state)); check the password for role '\(url.user)'",
                                        isTransient: false)
                }
                return AdapterError(system: system, operation: operation, message: "\(message) (SQLSTATE \(state))",
                                    isTransient: isTransient(sqlState: state))
            case .connectionError, .serverClosedConnection, .uncleanShutdown:
                return AdapterError(system: system, operation: operation,
                                    message: "cannot reach the server (\(error.code))", isTransient: true)
            case .sslUnsupported:
                return AdapterError(system: system, operation: operation,
                                    message: "the server does not offer TLS but sslmode=require", isTransient: false)
            default:
                return AdapterError(system: system, operation: operation, message: "failed (\(error.code))", isTransient: false)
            }
        case let error as SCRAMVerifierError:
            return AdapterError(system: system, operation: operation, message: error.description, isTransient: false)
        default:
            return AdapterError(system: system, operation: operation, message: "unexpected \(type(of: error))", isTransient: false)
        }
    }
}
