import Foundation
import NIOCore

/// One command waiting for its reply.
struct RESPRequest: Sendable {
    var command: RESPCommand
    var promise: EventLoopPromise<RESPValue>
}

/// Pairs replies with commands in order (Redis answers a connection's commands in order). When the
/// connection ends or fails, every waiting command fails with that reason.
final class RESPRequestHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RESPRequest
    typealias OutboundOut = RESPCommand

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        waiting.append(request.promise)
        context.write(wrapOutboundOut(request.command), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = unwrapInboundIn(data)
        guard let promise = waiting.popFirst() else {
            // A reply nobody asked for: the stream is out of step, so nothing after it can be trusted.
            failAll(RedisClientError.protocolViolation("unsolicited reply"))
            context.close(promise: nil)
            return
        }
        promise.succeed(reply)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(RedisClientError.classify(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisClientError.connectionClosed)
        context.fireChannelInactive()
    }

    private func failAll(_ error: RedisClientError) {
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}
