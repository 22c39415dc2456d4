import NIOCore
import NIOPosix
import Synchronization

/// A TCP server on 127.0.0.1 that accepts connections, reads whatever arrives and never answers:
/// a provider that hangs. Counts the connections, so a test knows when a call is stuck in it.
public final class SilentServer: Sendable {
    public let port: Int
    let channel: any Channel
    let group: MultiThreadedEventLoopGroup
    let accepted: Counter

    final class Counter: Sendable {
        let value = Mutex(0)
    }

    final class Swallow: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let accepted: Counter
        init(_ accepted: Counter) { self.accepted = accepted }
        func channelActive(context: ChannelHandlerContext) { accepted.value.withLock { $0 += 1 } }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    }

    public static func start() async throws -> SilentServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let accepted = Counter()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .childChannelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Swallow(accepted)) } }
            .bind(host: "127.0.0.1", port: 0).get()
        return SilentServer(port: channel.localAddress?.port ?? 0, channel: channel, group: group, accepted: accepted)
    }

    init(port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup, accepted: Counter) {
        self.port = port
        self.channel = channel
        self.group = group
        self.accepted = accepted
    }

    public var url: String { "http://127.0.0.1:\(port)" }
    public var connections: Int { accepted.value.withLock { $0 } }

    public func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}
