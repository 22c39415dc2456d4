import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// An in-repo provider fake (`Tests/Fakes/python/<name>_fake.py`) on 127.0.0.1 and a port it
/// chose itself: started per test, stopped by PID. Its standard input stays a pipe, so the fake
/// also exits when this process dies. `control` speaks its `/_fake/…` JSON API.
public final class PythonFake: Sendable {
    public let name: String
    public let port: Int
    let process: TestProcess

    public var url: String { "http://127.0.0.1:\(port)" }

    public static let folder = repositoryCommands.deletingLastPathComponent().appendingPathComponent("Tests/Fakes/python")

    init(name: String, port: Int, process: TestProcess) {
        self.name = name
        self.port = port
        self.process = process
    }

    /// Starts `<name>_fake.py` and waits (with a deadline) for its `LISTENING <port>` line.
    public static func start(_ name: String, arguments: [String] = []) async throws -> PythonFake {
        let script = folder.appendingPathComponent("\(name)_fake.py").path
        let process = try TestProcess.python([script] + arguments, input: true)
        do {
            try await process.waitForOutput("LISTENING ", timeout: .seconds(60))
            try await waitUntil("\(name) fake to print its port", timeout: .seconds(10)) {
                process.stdout.contains("\n") && Self.port(in: process.stdout) != nil
            }
        } catch {
            process.signal(SIGKILL)
            throw ServerError("\(name) fake did not start: \(error); stderr: \(process.stderr.suffix(2_000))")
        }
        return PythonFake(name: name, port: Self.port(in: process.stdout)!, process: process)
    }

    static func port(in output: String) -> Int? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("LISTENING ") }) else { return nil }
        return Int(line.dropFirst("LISTENING ".count).trimmingCharacters(in: .whitespaces))
    }

    /// Runs `body` with a fake started for it, and stops the fake whatever happens.
    public static func with<T: Sendable>(_ name: String, _ body: @Sendable (PythonFake) async throws -> T) async throws -> T {
        let fake = try await start(name)
        do {
            let result = try await body(fake)
            await fake.stop()
            return result
        } catch {
            await fake.stop()
            throw error
        }
    }

    public func stop() async {
        process.closeInput()
        await process.stop(signal: SIGTERM, grace: .seconds(5))
    }

    /// The fake's log of what it served (method, path, status; never a header value).
    public var log: String { process.stderr }

    /// A `/_fake/…` call: JSON in, JSON out (2xx expected).
    @discardableResult
    public func control(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> Any {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        let data = try await response.body.collect(upTo: 4 << 20)
        guard (200..<300).contains(response.status.code) else {
            throw ServerError("\(name) fake \(method) \(path) answered \(response.status): \(String(buffer: data).prefix(300))")
        }
        if data.readableBytes == 0 { return [String: Any]() }
        return try JSONSerialization.jsonObject(with: Data(data.readableBytesView), options: [.fragmentsAllowed])
    }
}
