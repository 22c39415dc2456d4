import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import Synchronization

/// The bot's operations endpoints (SPEC §7) on `AEGIS_OPS_ADDRESS` (`host:port`, default
/// `127.0.0.1:8080`; `0.0.0.0:8080` in a pod so the kubelet can probe it; `off` for none):
///
/// - `GET /healthz`: 200 while the process serves requests (liveness);
/// - `GET /readyz`: 200 when a Slack socket is connected and the state store answers, else 503
///   with the reasons, one per line (readiness);
/// - `GET /metrics`: the Prometheus text format of `registry` (rotations by secret and outcome,
///   step durations, envelope ack latency, reconnects, Slack API calls by outcome incl. 429s).
///
/// Nothing here carries a secret: readiness reasons are fixed sentences, metrics carry secret IDs,
/// step kinds and Slack method names only.
public enum OperationsEndpoints {
    public struct Address: Sendable, Equatable {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    /// Parses `AEGIS_OPS_ADDRESS`; nil for `off`.
    public static func address(_ text: String?) throws -> Address? {
        let value = text ?? "127.0.0.1:8080"
        if value == "off" { return nil }
        guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]), (0...65_535).contains(port),
              colon != value.startIndex else {
            throw AegisConfiguration.Problem(key: "AEGIS_OPS_ADDRESS", message: "'\(value)' is not host:port (or off)")
        }
        return Address(host: String(value[..<colon]), port: port)
    }

    /// The HTTP service (a `swift-service-lifecycle` service: run it in the bot's service group).
    /// `boundPort` receives the port once listening (useful with port 0).
    public static func application(address: Address, registry: PrometheusCollectorRegistry,
                                   readiness: @escaping @Sendable () async -> [String],
                                   boundPort: BoundPort, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ -> Response in
            let problems = await readiness()
            let body = problems.isEmpty ? "ready\n" : problems.joined(separator: "\n") + "\n"
            return Response(status: problems.isEmpty ? .ok : .serviceUnavailable,
                            headers: [.contentType: "text/plain; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        return Application(router: router,
                           configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port)),
                           onServerRunning: { channel in boundPort.set(channel.localAddress?.port ?? address.port) },
                           logger: logger)
    }
}

/// The port the operations endpoints listen on, once they do.
public final class BoundPort: Sendable {
    private let port = Mutex<Int?>(nil)

    public init() {}

    public var value: Int? { port.withLock { $0 } }

    func set(_ value: Int) { port.withLock { $0 = value } }
}
