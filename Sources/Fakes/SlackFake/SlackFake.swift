import AegisCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import SlackWebAPI

/// An in-process Slack for tests and the benchmark: the Web API at `apiURL` and Socket Mode over
/// `ws://127.0.0.1:PORT/link/?ticket=…`, speaking Slack's wire protocol (proved against Python's
/// official `slack_sdk` in the tests). It records everything, redelivers unacked envelopes after
/// `redeliverAfter`, and injects faults on request: 429s, failing `apps.connections.open`,
/// `disconnect` frames, dropped sockets, lost acks and malformed frames.
public final class SlackFake: Sendable {
    let state: SlackFakeState
    let runner: Task<Void, any Error>
    let redeliverer: Task<Void, Never>
    public let port: Int
    public let redeliverAfter: Duration

    public var apiURL: String { "http://127.0.0.1:\(port)/api/" }

    /// Starts on 127.0.0.1 on a free port.
    public static func start(redeliverAfter: Duration = .seconds(3), logger: Logger = Logger(label: "slack-fake") { _ in SwiftLogNoOpLogHandler() }) async throws -> SlackFake {
        let state = SlackFakeState()
        let portBox = AnnouncedPort()
        let router = Router()
        router.post("/api/:method") { request, context -> Response in
            let method = context.parameters.get("method") ?? ""
            let raw = try await request.body.collect(upTo: 16 << 20)
            let body = SlackFake.decodeBody(Data(raw.readableBytesView), contentType: request.headers[.contentType] ?? "")
            let token = request.headers[.authorization] ?? ""
            let kind = token.hasPrefix("Bearer xoxb-") ? "xoxb" : token.hasPrefix("Bearer xapp-") ? "xapp" : token.isEmpty ? "none" : "other"
            let reply = await state.answer(method: method, body: body, tokenKind: kind, port: await portBox.value)
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            if let retryAfter = reply.retryAfter { headers[HTTPField.Name("Retry-After")!] = "\(retryAfter)" }
            return Response(status: .init(code: reply.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: reply.body.encoded())))
        }
        router.get("/api/:method") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"ok":false,"error":"insecure_request"}"#)))
        }
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: .init(ws: .init(maxFrameSize: 1 << 22))) { request, channel, _ in
                guard let path = request.path, path.hasPrefix("/link"),
                      let ticket = URLComponents(string: path)?.queryItems?.first(where: { $0.name == "ticket" })?.value,
                      await state.consumeTicket(ticket) else {
                    return .dontUpgrade
                }
                return .upgrade([:]) { inbound, outbound, _ in
                    try await SlackFake.serveSocket(state: state, channel: channel, inbound: inbound, outbound: outbound)
                }
            },
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in await portBox.set(channel.localAddress?.port ?? 0) },
            logger: logger)
        let runner = Task { try await app.run() }
        let port = try await portBox.wait(for: "the Slack fake")
        let redeliverer = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                for frame in await state.dueForRedelivery(after: redeliverAfter) { _ = await state.sendOnOneSocket(frame) }
            }
        }
        return SlackFake(state: state, runner: runner, redeliverer: redeliverer, port: port, redeliverAfter: redeliverAfter)
    }

    init(state: SlackFakeState, runner: Task<Void, any Error>, redeliverer: Task<Void, Never>, port: Int, redeliverAfter: Duration) {
        self.state = state
        self.runner = runner
        self.redeliverer = redeliverer
        self.port = port
        self.redeliverAfter = redeliverAfter
    }

    /// Stops the server; waits at most two seconds for it to wind down (a peer that stopped
    /// reading must not hold the caller).
    public func stop() async {
        redeliverer.cancel()
        for channel in await state.closeSockets(abruptly: true) { try? await channel.close() }
        await stopServer(runner, name: "the Slack fake")
    }

    static func serveSocket(state: SlackFakeState, channel: any Channel, inbound: WebSocketInboundStream,
                            outbound: WebSocketOutboundWriter) async throws {
        let (frames, send) = AsyncStream.makeStream(of: String.self)
        let id = await state.addSocket(send: send, channel: channel)
        defer { Task { await state.removeSocket(id) } }
        let hello: JSONValue = ["type": "hello", "num_connections": .number(Double(await state.sockets.count)),
                                "connection_info": ["app_id": "A0AEGIS"],
                                "debug_info": ["host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060]]
        try await outbound.write(.text(hello.text))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await frame in frames { try await outbound.write(.text(frame)) }
                try await outbound.close(.normalClosure, reason: nil)
            }
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 22) {
                    // The ack's arrival, stamped before the fake's own bookkeeping (two actor
                    // hops), so a latency is the subject's and the socket's, not the fake's.
                    let receivedAt = ContinuousClock.now
                    guard case .text(let text) = message else { continue }
                    await state.record("ack \(text)")
                    guard let ack = try? JSONValue.parse(text), let envelopeID = ack["envelope_id"]?.string else { continue }
                    await state.acknowledge(envelopeID, payload: ack["payload"], receivedAt: receivedAt)
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    static func decodeBody(_ data: Data, contentType: String) -> JSONValue {
        if contentType.hasPrefix("application/json") { return (try? JSONValue.parse(data)) ?? .null }
        var object: [String: JSONValue] = [:]
        for pair in String(decoding: data, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            let key = parts[0].removingPercentEncoding ?? parts[0]
            let value = parts.count > 1 ? (parts[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? parts[1]) : ""
            object[key] = .string(value)
        }
        return .object(object)
    }
}


extension SlackFakeState {
    /// Tickets are single use, as Slack's are.
    func consumeTicket(_ ticket: String) -> Bool { tickets.remove(ticket) != nil }
}
