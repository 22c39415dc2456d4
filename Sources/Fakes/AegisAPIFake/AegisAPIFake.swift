import AegisCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A stand-in for aegis-api on 127.0.0.1: `/health` with components tests can break, and
/// `/api/v1/findings` that needs the bearer token. Records the requests it served.
public final class AegisAPIFake: Sendable {
    let state: State
    let runner: Task<Void, any Error>
    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    actor State {
        var components: [String: String] = ["database": "ok", "ai_provider": "ok", "identity_provider": "ok", "cache": "ok"]
        var token = "test-api-token"
        var failures = 0
        var requests: [String] = []

        func next(_ path: String) -> Bool {
            requests.append(path)
            guard failures > 0 else { return false }
            failures -= 1
            return true
        }
    }

    public static func start() async throws -> AegisAPIFake {
        let state = State()
        let router = Router()
        router.get("/health") { _, _ -> Response in
            if await state.next("/health") { return Response(status: .internalServerError) }
            let components = await state.components.mapValues { ["status": $0] }
            let overall = await state.components.values.allSatisfy { $0 == "ok" } ? "ok" : "degraded"
            return try json(["status": overall, "components": components])
        }
        router.get("/api/v1/findings") { request, _ -> Response in
            if await state.next("/api/v1/findings") { return Response(status: .internalServerError) }
            guard request.headers[.authorization] == "Bearer \(await state.token)" else { return Response(status: .unauthorized) }
            return try json(["total": 3, "items": [String]()])
        }
        let port = AnnouncedPort()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { await port.set($0.localAddress?.port ?? 0) },
                              logger: Logger(label: "aegis-api-fake") { _ in SwiftLogNoOpLogHandler() })
        let runner = Task { try await app.run() }
        return AegisAPIFake(state: state, runner: runner, port: try await port.wait(for: "the aegis-api fake"))
    }

    init(state: State, runner: Task<Void, any Error>, port: Int) {
        self.state = state
        self.runner = runner
        self.port = port
    }

    /// Sets a component's status (`ok` is healthy; anything else is not).
    public func setComponent(_ name: String, _ status: String) async { await state.setComponent(name, status) }
    /// Removes a component from `/health`.
    public func removeComponent(_ name: String) async { await state.setComponent(name, nil) }
    /// The next `count` requests answer HTTP 500.
    public func fail(next count: Int) async { await state.setFailures(count) }
    public var token: String { get async { await state.token } }
    public var requests: [String] { get async { await state.requests } }

    /// Stops the server; waits at most two seconds for it to wind down (a client that keeps a
    /// connection open must not hold the caller), and says so on standard error when it did not.
    public func stop() async {
        await stopServer(runner, name: "the aegis-api fake")
    }

    static func json(_ object: Any) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension AegisAPIFake.State {
    func setComponent(_ name: String, _ status: String?) { components[name] = status }
    func setFailures(_ count: Int) { failures = count }
}

