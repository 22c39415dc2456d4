import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A tiny HTTP/1.1 server on 127.0.0.1 and a free port, answering with a closure and
/// recording every request: the stand-in for STS, the container agent and IMDS in tests.
final class FakeHTTPServer: Sendable {
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }
        func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
        var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    struct Response: Sendable {
        var status: Int = 200
        var headers: [(name: String, value: String)] = []
        var body: String = ""
    }

    typealias Handler = @Sendable (Request) -> Response

    let channel: any Channel
    let port: Int
    private let recorded: Mutex<[Request]>

    var requests: [Request] { recorded.withLock { $0 } }
    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.recorded = Mutex([])
    }

    static func start(_ handler: @escaping Handler) async throws -> FakeHTTPServer {
        let box = RecorderBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(handler: handler, record: { box.append($0) }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = FakeHTTPServer(channel: channel)
        box.server.withLock { $0 = server }
        return server
    }

    func record(_ request: Request) { recorded.withLock { $0.append(request) } }

    func stop() async throws { try await channel.close() }

    /// Lets the child handlers record before the server object exists.
    private final class RecorderBox: Sendable {
        let server = Mutex<FakeHTTPServer?>(nil)
        func append(_ request: Request) { server.withLock { $0 }?.record(request) }
    }

    private final class RequestHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let handler: Handler
        let record: @Sendable (Request) -> Void
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(handler: @escaping Handler, record: @escaping @Sendable (Request) -> Void) {
            self.handler = handler
            self.record = record
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                let request = Request(method: head.method.rawValue, uri: head.uri,
                                      headers: head.headers.map { ($0.name, $0.value) }, body: body)
                record(request)
                let response = handler(request)
                var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
                headers.replaceOrAdd(name: "Content-Length", value: String(response.body.utf8.count))
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version,
                                                                       status: HTTPResponseStatus(statusCode: response.status),
                                                                       headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                self.head = nil
            }
        }
    }
}
