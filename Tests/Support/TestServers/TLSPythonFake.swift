import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A Python fake served over TLS (`--cert-dir DIR`: it writes a throwaway CA `ca.pem` and its own
/// certificate there), with an HTTP client that trusts only that CA for its `/_fake/…` API.
public final class TLSPythonFake: Sendable {
    public let fake: PythonFake
    public let certDirectory: URL
    public let http: HTTPClient

    /// `https://127.0.0.1:<port>`.
    public var url: String { "https://127.0.0.1:\(fake.port)" }
    /// The CA bundle a client must trust.
    public var caBundle: String { certDirectory.appendingPathComponent("ca.pem").path }
    public var log: String { fake.log }

    init(fake: PythonFake, certDirectory: URL, http: HTTPClient) {
        self.fake = fake
        self.certDirectory = certDirectory
        self.http = http
    }

    public static func start(_ name: String, arguments: [String] = []) async throws -> TLSPythonFake {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let fake = try await PythonFake.start(name, arguments: ["--cert-dir", directory.path] + arguments)
        do {
            let pem = try Array(Data(contentsOf: directory.appendingPathComponent("ca.pem")))
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(pem))
            var configuration = HTTPClient.Configuration()
            configuration.tlsConfiguration = tls
            return TLSPythonFake(fake: fake, certDirectory: directory,
                                 http: HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration))
        } catch {
            await fake.stop()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    public func stop() async {
        try? await http.shutdown()
        await fake.stop()
        try? FileManager.default.removeItem(at: certDirectory)
    }

    /// A `/_fake/…` call: JSON in, JSON out (2xx expected).
    @discardableResult
    public func control(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> Any {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await http.execute(request, timeout: .seconds(20))
        let data = try await response.body.collect(upTo: 4 << 20)
        guard (200..<300).contains(response.status.code) else {
            throw ServerError("\(fake.name) fake \(method) \(path) answered \(response.status): \(String(buffer: data).prefix(300))")
        }
        if data.readableBytes == 0 { return [String: Any]() }
        return try JSONSerialization.jsonObject(with: Data(data.readableBytesView), options: [.fragmentsAllowed])
    }
}

extension TLSPythonFake {
    /// A call to the fake's provider API itself (not its control API): the status and JSON answer.
    public func api(_ method: HTTPMethod, _ path: String, headers: [String: String], _ body: [String: Any]? = nil) async throws -> (status: Int, json: Any?) {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await http.execute(request, timeout: .seconds(20))
        let data = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), try? JSONSerialization.jsonObject(with: Data(data.readableBytesView)))
    }
}
