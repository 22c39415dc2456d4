import NIOCore
import NIOEmbedded
import NIOWebSocket
import Synchronization
import Testing
@testable import SlackSocketMode

/// The frame handler on an embedded channel: frames in, frames out, the loop's clock moved by hand.
/// A frame read back from the channel is as the handler wrote it, before the encoder masks it:
/// its `data` is the plain payload.
@Suite("Socket Mode frame handler")
struct SocketModeFrameHandlerTests {
    final class Probe: Sendable {
        let texts = Mutex<[String]>([])
        let ends = Mutex<[String]>([])
        let hello = Mutex(false)
    }

    /// Pings every 5 s, idle after 30 s, hello within 10 s; `quiet` pings only every 1,000 s.
    static let timing = SocketModeFrameHandler.Timing(ping: .seconds(5), idle: .seconds(30), hello: .seconds(10), closeGrace: .seconds(1))
    static let quiet = SocketModeFrameHandler.Timing(ping: .seconds(1_000), idle: .seconds(30), hello: .seconds(10), closeGrace: .seconds(1))

    func channel(_ probe: Probe, timing: SocketModeFrameHandler.Timing = Self.timing, reply: String? = "ack") throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let handler = SocketModeFrameHandler(
            timing: timing, helloSeen: { probe.hello.withLock { $0 } },
            recordEnd: { reason in probe.ends.withLock { $0.append(reason) } },
            onText: { text, write in
                probe.texts.withLock { $0.append(text) }
                if let reply { write(reply) }
            })
        try channel.pipeline.syncOperations.addHandler(NIOWebSocketFrameAggregator(
            minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 16, maxAccumulatedFrameSize: 1 << 16))
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        return channel
    }

    func frame(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true) -> WebSocketFrame {
        WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(string: text))
    }

    func written(_ channel: EmbeddedChannel) throws -> WebSocketFrame? {
        try channel.readOutbound(as: WebSocketFrame.self)
    }

    @Test("a message in two fragments reaches onText whole; the reply goes out as one masked text frame")
    func fragmentedMessageAndAck() throws {
        let probe = Probe()
        let channel = try channel(probe)
        try channel.writeInbound(frame(.text, #"{"envelope_id":"#, fin: false))
        #expect(probe.texts.withLock { $0 }.isEmpty)
        try channel.writeInbound(frame(.continuation, #""e1"}"#))
        #expect(probe.texts.withLock { $0 } == [#"{"envelope_id":"e1"}"#])
        let ack = try #require(try written(channel))
        #expect(ack.opcode == .text && ack.fin)
        #expect(ack.maskKey != nil, "RFC 6455: every client frame is masked")
        var data = ack.data
        #expect(data.readString(length: data.readableBytes) == "ack")
        _ = try? channel.finish()
    }

    @Test("Slack's ping is answered with a pong carrying its payload")
    func pingAnswered() throws {
        let channel = try channel(Probe())
        try channel.writeInbound(frame(.ping, "p-17"))
        let pong = try #require(try written(channel))
        #expect(pong.opcode == .pong && pong.maskKey != nil)
        var data = pong.data
        #expect(data.readString(length: data.readableBytes) == "p-17")
        _ = try? channel.finish()
    }

    @Test("Slack's close is echoed and the socket closes; the end reads 'closed by Slack'")
    func closeEchoed() throws {
        let probe = Probe()
        let channel = try channel(probe)
        var code = ByteBuffer()
        code.write(webSocketErrorCode: .goingAway)
        try channel.writeInbound(WebSocketFrame(fin: true, opcode: .connectionClose, data: code))
        let echo = try #require(try written(channel))
        #expect(echo.opcode == .connectionClose)
        var data = echo.data
        #expect(data.readWebSocketErrorCode() == .goingAway)
        #expect(!channel.isActive)
        #expect(probe.ends.withLock { $0 } == ["closed by Slack"])
    }

    @Test("no hello within the hello timeout: a close goes out, and the socket drops after the grace")
    func helloTimeout() throws {
        let probe = Probe()
        let channel = try channel(probe, timing: Self.quiet)
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(try written(channel) == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try written(channel)?.opcode == .connectionClose)
        #expect(probe.ends.withLock { $0 }.first?.hasPrefix("no hello within") == true)
        #expect(channel.isActive, "Slack gets the close grace to answer")
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test("hello in time: the hello timeout closes nothing")
    func helloInTime() throws {
        let probe = Probe()
        probe.hello.withLock { $0 = true }
        let channel = try channel(probe, timing: Self.quiet)
        channel.embeddedEventLoop.advanceTime(by: .seconds(11))
        #expect(try written(channel) == nil)
        #expect(channel.isActive && probe.ends.withLock { $0 }.isEmpty)
        _ = try? channel.finish()
    }

    @Test("a ping still unanswered when the next is due closes the socket; a pong keeps it open")
    func pingWatchdog() throws {
        let probe = Probe()
        probe.hello.withLock { $0 = true }
        let channel = try channel(probe)
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(try written(channel)?.opcode == .ping)
        try channel.writeInbound(frame(.pong, "x"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(try written(channel)?.opcode == .ping, "answered: the next ping goes out")
        #expect(probe.ends.withLock { $0 }.isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(try written(channel)?.opcode == .connectionClose)
        #expect(probe.ends.withLock { $0 }.first?.hasPrefix("no pong within") == true)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test("frames keep the idle watchdog quiet; silence for the idle timeout closes the socket")
    func idleWatchdog() throws {
        let probe = Probe()
        probe.hello.withLock { $0 = true }
        let channel = try channel(probe, timing: Self.quiet, reply: nil)
        for _ in 0..<3 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(29))
            try channel.writeInbound(frame(.text, #"{"type":"noise"}"#))
        }
        #expect(try written(channel) == nil)
        #expect(probe.ends.withLock { $0 }.isEmpty, "87 s of frames never more than 29 s apart")
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        #expect(try written(channel)?.opcode == .connectionClose)
        #expect(probe.ends.withLock { $0 }.first?.hasPrefix("no frame for") == true)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }
}
