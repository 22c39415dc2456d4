import Foundation
import NIOCore

/// One command waiting for its reply.
struct RESPRequest: Sendable {
    var command: RESPCommand
    var promise: EventLoopPromise<RESPValue>
}

/// Pairs replies with commands in order (Redis answers a connection's commands in order). When the
/// connection ends or fails, every waiting command fails with that reason, and so does every
/// later one: a TLS handshake that fails before the first command is reported as a TLS failure,
/// not as "the connection closed".
final class RESPRequestHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RESPRequest
    typealias OutboundOut = RESPCommand

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    /// Why the connection can no longer be used, once it cannot.
    private var failure: RedisClientError?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
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
        if failure == nil { failure = error }
        while let promise = waiting.popFirst() { promise.fail(failure ?? error) }
    }
}
