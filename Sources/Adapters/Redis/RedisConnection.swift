import AegisCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// One connection to a Redis server, speaking RESP2. Commands may be sent from any task; replies
/// come back in order. Nothing here logs a command's arguments or a reply's content.
public final class RedisConnection: Sendable {
    public let endpoint: RedisEndpoint
    let channel: any Channel
    let commandTimeout: TimeAmount
    let failure: ConnectionFailure

    init(endpoint: RedisEndpoint, channel: any Channel, commandTimeout: TimeAmount, failure: ConnectionFailure) {
        self.endpoint = endpoint
        self.channel = channel
        self.commandTimeout = commandTimeout
        self.failure = failure
    }

    /// Connects (and for `rediss`, completes the TLS handshake) without logging in.
    /// - Parameter tls: the client TLS configuration for `rediss` (trust roots, client certificate);
    ///   the system defaults when nil.
    public static func connect(to endpoint: RedisEndpoint, tls: TLSConfiguration? = nil,
                               connectTimeout: TimeAmount = .seconds(5), commandTimeout: TimeAmount = .seconds(10),
                               group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws(RedisClientError) -> RedisConnection {
        let sslContext: NIOSSLContext?
        do {
            sslContext = endpoint.useTLS ? try NIOSSLContext(configuration: tls ?? .makeClientConfiguration()) : nil
        } catch {
            throw .tls("cannot set up the TLS context: \(RedisClientError.classify(error))")
        }
        let serverName = isIPAddress(endpoint.host) ? nil : endpoint.host
        let failure = ConnectionFailure()
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(RESPReplyDecoder()),
                        MessageToByteHandler(RESPCommandEncoder()),
                        RESPRequestHandler(failure: failure),
                    ])
                }
            }
        do {
            let channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
            let connection = RedisConnection(endpoint: endpoint, channel: channel, commandTimeout: commandTimeout, failure: failure)
            if endpoint.useTLS {
                // The handshake finishes on the first exchange; PING makes a TLS failure surface here.
                _ = try await connection.send(RESPCommand("PING"))
            }
            return connection
        } catch {
            throw failure.error ?? RedisClientError.classify(error)
        }
    }

    /// Connects, logs in (`AUTH [user] password` when a password is given) and selects the URL's database.
    public static func connect(_ url: RedisURL, tls: TLSConfiguration? = nil,
                               connectTimeout: TimeAmount = .seconds(5)) async throws(RedisClientError) -> RedisConnection {
        let connection = try await connect(to: url.endpoint, tls: tls, connectTimeout: connectTimeout)
        do {
            if let password = url.password {
                try await connection.authenticate(user: url.user, password: password)
            }
            if let database = url.endpoint.database, database != 0 {
                _ = try await connection.run(RESPCommand("SELECT", String(database)))
            }
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    /// `AUTH password` (the `default` user) or `AUTH user password`.
    public func authenticate(user: String?, password: SecretValue) async throws(RedisClientError) {
        var arguments: [RESPCommand.Argument] = [.text("AUTH")]
        if let user { arguments.append(.text(user)) }
        arguments.append(.secret(password))
        _ = try await run(RESPCommand(arguments))
    }

    /// Sends a command and returns its reply, error replies included (as `.error`).
    public func send(_ command: RESPCommand) async throws(RedisClientError) -> RESPValue {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        let channel = self.channel
        let timeout = channel.eventLoop.scheduleTask(in: commandTimeout) {
            promise.fail(RedisClientError.timeout(command: command.name))
            channel.close(promise: nil)
        }
        let failure = self.failure
        channel.writeAndFlush(RESPRequest(command: command, promise: promise)).whenFailure { error in
            promise.fail(failure.error ?? RedisClientError.classify(error))
        }
        do {
            let reply = try await promise.futureResult.get()
            timeout.cancel()
            return reply
        } catch {
            timeout.cancel()
            // After a teardown the pipeline may be gone; the recorded failure is the real reason.
            throw failure.error ?? RedisClientError.classify(error)
        }
    }

    /// Sends a command; an error reply throws `RedisClientError.reply`.
    @discardableResult
    public func run(_ command: RESPCommand) async throws(RedisClientError) -> RESPValue {
        let reply = try await send(command)
        if case .error(let message) = reply { throw RedisClientError.reply(message, to: command) }
        return reply
    }

    /// Closes the connection; waiting commands fail with `connectionClosed`.
    public func close() async {
        try? await channel.close()
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
