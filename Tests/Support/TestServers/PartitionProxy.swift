import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on 127.0.0.1 in front of one server, that can cut the path like a network
/// partition: after ``partition()`` every byte in either direction is dropped and new connections
/// are accepted but go nowhere, so the client sees silence, not a refusal or a reset, exactly
/// what a replica cut off from its database sees. ``heal()`` restores forwarding for new
/// connections (the stalled ones stay stalled, as after a real partition they would time out).
public final class PartitionProxy: Sendable {
    public let port: Int
    let channel: any Channel
    let group: MultiThreadedEventLoopGroup
    let cut: Flag

    final class Flag: Sendable {
        let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
    }

    /// Forwards what it reads to `peer` unless the path is cut.
    final class Forward: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let peer: Mutex<(any Channel)?>
        let cut: Flag
        init(cut: Flag, peer: (any Channel)? = nil) {
            self.cut = cut
            self.peer = Mutex(peer)
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !cut.isSet, let peer = peer.withLock({ $0 }) else { return }
            peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }
        func channelInactive(context: ChannelHandlerContext) {
            guard !cut.isSet else { return }
            peer.withLock { $0 }?.close(promise: nil)
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    public static func start(to targetPort: Int) async throws -> PartitionProxy {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let cut = Flag()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            // Nothing is read from a client before its upstream connection is there.
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                let fromClient = Forward(cut: cut)
                return inbound.pipeline.addHandler(fromClient).flatMap {
                    guard !cut.isSet else { return inbound.eventLoop.makeSucceededVoidFuture() }
                    return ClientBootstrap(group: inbound.eventLoop)
                        .channelInitializer { outbound in outbound.pipeline.addHandler(Forward(cut: cut, peer: inbound)) }
                        .connect(host: "127.0.0.1", port: targetPort)
                        .flatMap { outbound in
                            fromClient.peer.withLock { $0 = outbound }
                            return inbound.setOption(.autoRead, value: true)
                        }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return PartitionProxy(port: channel.localAddress?.port ?? 0, channel: channel, group: group, cut: cut)
    }

    init(port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup, cut: Flag) {
        self.port = port
        self.channel = channel
        self.group = group
        self.cut = cut
    }

    /// Drops everything from now on, in both directions.
    public func partition() { cut.value.withLock { $0 = true } }

    /// Forwards again (new connections).
    public func heal() { cut.value.withLock { $0 = false } }

    public func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}
