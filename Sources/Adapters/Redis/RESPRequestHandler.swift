import Foundation
import NIOCore
import Synchronization

/// One command waiting for its reply.
struct RESPRequest: Sendable {
    var command: RESPCommand
    var promise: EventLoopPromise<RESPValue>
}

/// Why a connection can no longer be used: the first failure, kept outside the pipeline so a
/// command sent after the channel was torn down (its handlers gone) still learns the real reason,
/// e.g. a TLS handshake that failed before the first command, which is not "the connection closed".
final class ConnectionFailure: Sendable {
    private let first = Mutex<RedisClientError?>(nil)

    /// Records `error` unless a failure was recorded already; returns the one that sticks.
    func record(_ error: RedisClientError) -> RedisClientError {
        first.withLock { recorded in
            if recorded == nil { recorded = error }
            return recorded ?? error
        }
    }

    var error: RedisClientError? { first.withLock { $0 } }
}

/// Pairs replies with commands in order (Redis answers a connection's commands in order). When the
/// connection ends or fails, every waiting command fails with that reason, and so does every
/// later one.
final class RESPRequestHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RESPRequest
    typealias OutboundOut = RESPCommand

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    private let failure: ConnectionFailure

    init(failure: ConnectionFailure) { self.failure = failure }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure = failure.error {
            request.promise.fail(failure)
            promise?.fail(failure)
            return
        }
        waiting.append(request.promise)
        context.write(wrapOutboundOut(request.command), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = unwrapInboundIn(data)
        guard let promise = waiting.popFirst() else {
            // A reply nobody asked for: the stream is out of step, so nothing after it can be trusted.
            fail(RedisClientError.protocolViolation("unsolicited reply"))
            context.close(promise: nil)
            return
        }
        promise.succeed(reply)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(RedisClientError.classify(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(RedisClientError.connectionClosed)
        context.fireChannelInactive()
    }

    /// Fails every waiting command; the first reason sticks for later ones.
    private func fail(_ error: RedisClientError) {
        let sticky = failure.record(error)
        while let promise = waiting.popFirst() { promise.fail(sticky) }
    }
}
