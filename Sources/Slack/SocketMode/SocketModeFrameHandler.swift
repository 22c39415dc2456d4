import NIOCore
import NIOWebSocket

/// The Socket Mode end of one upgraded WebSocket, on the socket's event loop. Hands each text
/// message to `onText` in the same pass of the loop that read it, answers Slack's pings, sends
/// its own, and closes the socket when `hello` is late, a ping goes unanswered, no frame arrived
/// within the idle timeout, or the connection asks.
///
/// Why a channel handler and not an async frame sequence: at Slack's paced rates every envelope
/// wakes the loop on its own, and an async reader paid a task switch, a stream hand-off and a
/// writer hand-off per envelope on top of the socket work. Reading, acking and dispatching in one
/// synchronous call cut the CPU per envelope (docs/benchmarks.md, "The ack path").
final class SocketModeFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// The handler's waits, as the event loop counts them.
    struct Timing {
        var ping: TimeAmount
        var idle: TimeAmount
        var hello: TimeAmount
        /// How long a close we sent may wait for Slack's close before the socket is dropped.
        var closeGrace: TimeAmount
    }

    private let timing: Timing
    /// Reads one text message; writes its replies (the ack) through the function it is given.
    private let onText: (String, (String) -> Void) -> Void
    private let helloSeen: @Sendable () -> Bool
    /// Records why the socket ended; the first reason given wins.
    private let recordEnd: @Sendable (String) -> Void
    private var context: ChannelHandlerContext?
    private var lastInbound = NIODeadline.now()
    private var pongOutstanding = false
    private var closing = false
    /// The watchdogs' next wake-ups, cancelled when the handler leaves the pipeline.
    private var timers: [Watchdog: Scheduled<Void>] = [:]

    private enum Watchdog: Hashable {
        case hello, ping, idle, closeGrace
    }

    init(timing: Timing, helloSeen: @escaping @Sendable () -> Bool, recordEnd: @escaping @Sendable (String) -> Void,
         onText: @escaping (String, (String) -> Void) -> Void) {
        self.timing = timing
        self.helloSeen = helloSeen
        self.recordEnd = recordEnd
        self.onText = onText
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        lastInbound = now
        timers[.hello] = context.eventLoop.assumeIsolated().scheduleTask(in: timing.hello) {
            if !self.helloSeen() { self.close("no hello within \(Self.describe(self.timing.hello))") }
        }
        timers[.ping] = context.eventLoop.assumeIsolated().scheduleTask(in: timing.ping) { self.pingOrGiveUp() }
        scheduleIdleCheck(at: lastInbound + timing.idle)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        for timer in timers.values { timer.cancel() }
        timers = [:]
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastInbound = now
        switch frame.opcode {
        case .text:
            var payload = frame.unmaskedData
            let text = payload.readString(length: payload.readableBytes) ?? ""
            onText(text) { reply in self.send(.text, self.bytes(reply)) }
        case .ping:
            send(.pong, frame.unmaskedData)
        case .pong:
            pongOutstanding = false
        case .connectionClose:
            recordEnd("closed by Slack")
            if !closing {
                closing = true
                var received = frame.unmaskedData
                sendClose(received.readWebSocketErrorCode() ?? .normalClosure)
            }
            context.close(promise: nil)
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        recordEnd("socket error: \(type(of: error))")
        context.close(promise: nil)
    }

    /// Sends a normal close and drops the socket if Slack does not answer within the grace.
    /// Runs on the loop; a second request changes nothing.
    func close(_ reason: String) {
        guard let context, !closing else { return }
        closing = true
        recordEnd(reason)
        sendClose(.normalClosure)
        timers[.closeGrace] = context.eventLoop.assumeIsolated().scheduleTask(in: timing.closeGrace) { self.context?.close(promise: nil) }
    }

    /// One ping per period; a ping still unanswered when the next is due means a dead socket.
    private func pingOrGiveUp() {
        guard let context, !closing else { return }
        if pongOutstanding {
            close("no pong within \(Self.describe(timing.ping)); socket presumed dead")
            return
        }
        pongOutstanding = true
        var payload = context.channel.allocator.buffer(capacity: 8)
        payload.writeInteger(UInt64(truncatingIfNeeded: now.uptimeNanoseconds))
        send(.ping, payload)
        timers[.ping] = context.eventLoop.assumeIsolated().scheduleTask(in: timing.ping) { self.pingOrGiveUp() }
    }

    /// Wakes once per idle timeout while frames flow (not per frame), and closes the socket when
    /// the last frame is older than the timeout.
    private func scheduleIdleCheck(at due: NIODeadline) {
        timers[.idle] = context?.eventLoop.assumeIsolated().scheduleTask(deadline: due) {
            guard !self.closing else { return }
            let next = self.lastInbound + self.timing.idle
            if self.now >= next {
                self.close("no frame for \(Self.describe(self.now - self.lastInbound)); socket presumed dead")
            } else {
                self.scheduleIdleCheck(at: next)
            }
        }
    }

    /// The loop's clock (an embedded loop's in tests), so watchdogs and timers agree on time.
    private var now: NIODeadline { context?.eventLoop.now ?? .now() }

    private func sendClose(_ code: WebSocketErrorCode) {
        var payload = context?.channel.allocator.buffer(capacity: 2) ?? ByteBuffer()
        payload.write(webSocketErrorCode: code)
        send(.connectionClose, payload)
    }

    private func send(_ opcode: WebSocketOpcode, _ data: ByteBuffer) {
        context?.writeAndFlush(wrapOutboundOut(clientFrame(opcode, data)), promise: nil)
    }

    private func bytes(_ text: String) -> ByteBuffer {
        context?.channel.allocator.buffer(string: text) ?? ByteBuffer(string: text)
    }

    /// A client frame: RFC 6455 requires every frame a client sends to be masked.
    private func clientFrame(_ opcode: WebSocketOpcode, _ data: ByteBuffer) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: data)
    }

    static func describe(_ amount: TimeAmount) -> String {
        "\(Duration.nanoseconds(amount.nanoseconds))"
    }
}
