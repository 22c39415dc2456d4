import AegisCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// An in-process Kubernetes API server for tests: enough discovery, configmaps, secrets,
/// deployments (with a simulated controller and `watch`), pods and pod logs for the real `kubectl`
/// and for our client. Binds 127.0.0.1 on a free port; plain HTTP.
///
/// Seeded with namespace `aegis`: configmap `aegis-config`, secret `aegis-secret` and deployment
/// `aegis-api` (2 replicas, `app=aegis-api`), plus `aegis-paused`, a paused deployment.
public final class KubernetesFake: Sendable {
    let state: KubernetesFakeState
    let runner: Task<Void, any Error>
    public let port: Int
    public let usesTLS: Bool

    public var serverURL: String { "\(usesTLS ? "https" : "http")://127.0.0.1:\(port)" }

    /// Serving HTTPS: the server's PEM chain and key, and, when set, the CA client certificates
    /// must chain to (the handshake then fails without one, as an API server's would).
    public struct TLS: Sendable {
        public var certificatePEM: [UInt8]
        public var privateKeyPEM: [UInt8]
        public var clientCertificateAuthorityPEM: [UInt8]?
        public init(certificatePEM: [UInt8], privateKeyPEM: [UInt8], clientCertificateAuthorityPEM: [UInt8]? = nil) {
            self.certificatePEM = certificatePEM
            self.privateKeyPEM = privateKeyPEM
            self.clientCertificateAuthorityPEM = clientCertificateAuthorityPEM
        }
    }

    public static func start(tls: TLS? = nil, logger: Logger = Logger(label: "kubernetes-fake") { _ in SwiftLogNoOpLogHandler() }) async throws -> KubernetesFake {
        let state = KubernetesFakeState()
        await state.putConfigMap(namespace: "aegis", name: "aegis-config", data: ["LOG_LEVEL": "info"])
        await state.putSecret(namespace: "aegis", name: "aegis-secret", data: ["PLACEHOLDER": "x"])
        await state.putDeployment(namespace: "aegis", name: "aegis-api", replicas: 2, labels: ["app": "aegis-api"], paused: false)
        await state.putDeployment(namespace: "aegis", name: "aegis-paused", replicas: 1, labels: ["app": "aegis-paused"], paused: true)

        let portBox = AnnouncedPort()
        let router = Router()
        for method in [HTTPRequest.Method.get, .patch, .post, .put, .delete] {
            router.on("**", method: method) { request, _ -> Response in
                try await KubernetesFake.respond(to: request, state: state)
            }
        }
        var server: HTTPServerBuilder = .http1()
        if let tls {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(tls.certificatePEM).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: tls.privateKeyPEM, format: .pem)))
            if let clientCA = tls.clientCertificateAuthorityPEM {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(clientCA))
                configuration.certificateVerification = .noHostnameVerification
            }
            server = try .tls(.http1(), tlsConfiguration: configuration)
        }
        let app = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                await state.setPort(port)
                await portBox.set(port)
            },
            logger: logger)
        let runner = Task { try await app.run() }
        let port = try await portBox.wait(for: "the Kubernetes fake")
        return KubernetesFake(state: state, runner: runner, port: port, usesTLS: tls != nil)
    }

    init(state: KubernetesFakeState, runner: Task<Void, any Error>, port: Int, usesTLS: Bool) {
        self.state = state
        self.runner = runner
        self.port = port
        self.usesTLS = usesTLS
    }

    /// Stops the server; waits at most two seconds for it to wind down (a client that keeps a
    /// connection open must not hold the caller), and says so on standard error when it did not.
    public func stop() async {
        await stopServer(runner, name: "the Kubernetes fake")
    }

    static func respond(to request: Request, state: KubernetesFakeState) async throws -> Response {
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters {
            let key = String(name).removingPercentEncoding ?? String(name)
            query[key] = String(value).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(value)
        }
        let body = try await request.body.collect(upTo: 4 << 20)
        let reply = await state.handle(
            method: request.method.rawValue, path: request.uri.path, query: query,
            contentType: request.headers[.contentType] ?? "", body: Data(body.readableBytesView),
            authorization: request.headers[.authorization])
        var headers = HTTPFields()
        headers[.contentType] = reply.contentType
        guard let watch = reply.watch else {
            return Response(status: .init(code: reply.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
        }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await streamWatch(watch, state: state, writer: &writer)
        })
    }

    /// Sends the deployment as an event, then a MODIFIED event on every change, and closes once the
    /// rollout has ended (or the watch's timeout passes), as an API server's watch would end.
    static func streamWatch(_ watch: FakeWatch, state: KubernetesFakeState, writer: inout any ResponseBodyWriter) async throws {
        let deadline = ContinuousClock.now + watch.timeout
        var sentVersion: String?
        while ContinuousClock.now < deadline {
            guard let snapshot = await state.watchSnapshot(namespace: watch.namespace, name: watch.name) else { break }
            if snapshot.resourceVersion != sentVersion {
                let type = sentVersion == nil ? "ADDED" : "MODIFIED"
                var line = Data(#"{"type":"\#(type)","object":"#.utf8)
                line.append(snapshot.object)
                line.append(Data("}\n".utf8))
                try await writer.write(ByteBuffer(bytes: line))
                sentVersion = snapshot.resourceVersion
            }
            if snapshot.ended { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await writer.finish(nil)
    }
}

