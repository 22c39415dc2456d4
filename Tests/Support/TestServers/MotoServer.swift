import AegisAWS
import AegisCore
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// moto's server on 127.0.0.1 and a free port, started per test and stopped by PID.
///
/// `withMoto` bootstraps an IAM user with an inline `Action:* Resource:*` policy and an access
/// key while moto checks nothing, then switches signature checking on
/// (`POST /moto-api/reset-auth` with body `0`), so every request after that is verified.
public struct MotoServer: Sendable {
    public let port: Int
    /// The bootstrapped user's name and key (moto's account 123456789012).
    public let userName: String
    public let admin: AWSCredentials
    let pid: Int32

    public var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// The environment a client under test reads: every service at moto, region us-east-1.
    public var environment: [String: String] {
        ["AWS_ENDPOINT_URL": endpoint.absoluteString, "AWS_REGION": "us-east-1"]
    }

    public func client(_ credentials: AWSCredentials? = nil, logger: Logger? = nil) throws -> AWSClient {
        AWSClient(configuration: try AWSConfiguration(environment: environment, timeout: .seconds(20)),
                  credentialProvider: StaticCredentialProvider(credentials ?? admin),
                  logger: logger ?? Logger(label: "test.aws"))
    }

    public static func withMoto<T: Sendable>(_ body: @Sendable (MotoServer) async throws -> T) async throws -> T {
        // A port found free can be taken by another test's server before moto (about a second
        // to start) binds it; on "Address already in use" try again with a new port.
        var attempt = 1
        while true {
            do {
                return try await runMoto(body)
            } catch let failure as StartFailure where failure.portTaken && attempt < 5 {
                attempt += 1
            }
        }
    }

    /// Wipes moto's state and bootstraps a new admin user (with its own key), as a fresh server
    /// would have: a scenario starts from nothing without paying for a new moto process.
    public func reset() async throws -> MotoServer {
        for (path, body) in [("/moto-api/reset-auth", "1000"), ("/moto-api/reset", "")] {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            request.method = .POST
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else { throw StartFailure(description: "\(path) answered \(response.status)") }
        }
        return try await Self.bootstrap(port: port, pid: pid)
    }

    /// The moto process, for fault tests that pause it (SIGSTOP) and resume it (SIGCONT).
    public var processID: Int32 { pid }

    static func runMoto<T: Sendable>(_ body: @Sendable (MotoServer) async throws -> T) async throws -> T {
        let port = try freeLoopbackPort()
        let process = try TestProcess.python(["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], mergeOutput: true)
        /// SIGKILL: moto keeps nothing worth a graceful shutdown.
        func stop() async {
            process.signal(SIGKILL)
            _ = try? await process.waitForExit(timeout: .seconds(30))
        }
        do {
            try await waitUntilAnswering(port: port, process: process)
            let moto = try await bootstrap(port: port, pid: process.pid)
            let result = try await body(moto)
            await stop()
            return result
        } catch {
            await stop()
            throw error
        }
    }

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
        var portTaken: Bool { description.contains("Address already in use") }
    }

    /// Polls `GET /moto-api/` until moto answers (it starts in about a second).
    static func waitUntilAnswering(port: Int, process: TestProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw StartFailure(description: "moto exited early: \(process.stdout.suffix(2000))")
            }
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/moto-api/")
            request.method = .GET
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)), response.status.code < 500 {
                _ = try? await response.body.collect(upTo: 1 << 20)
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw StartFailure(description: "moto did not answer on port \(port) within 30 s; it printed: \(process.stdout.suffix(2000))")
    }

    /// Creates the admin user, its inline policy and key with auth off, then turns auth on.
    static func bootstrap(port: Int, pid: Int32) async throws -> MotoServer {
        let environment = ["AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)", "AWS_REGION": "us-east-1"]
        // Any key works while auth is off; moto routes by the signature's credential scope.
        let anyKey = AWSCredentials(accessKeyID: "AKIDBOOTSTRAP", secretAccessKey: SecretValue(utf8: "bootstrap"))
        let client = AWSClient(configuration: try AWSConfiguration(environment: environment),
                               credentialProvider: StaticCredentialProvider(anyKey))
        let userName = "aegis-admin"
        _ = try await client.query(.iam, action: "CreateUser", parameters: [("UserName", userName)])
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        _ = try await client.query(.iam, action: "PutUserPolicy",
                                   parameters: [("UserName", userName), ("PolicyName", "everything"), ("PolicyDocument", policy)])
        let key = try await IAMAccessKeys(client: client).createAccessKey(userName: userName)

        var reset = HTTPClientRequest(url: "http://127.0.0.1:\(port)/moto-api/reset-auth")
        reset.method = .POST
        reset.body = .bytes(ByteBuffer(string: "0"))
        let response = try await HTTPClient.shared.execute(reset, timeout: .seconds(5))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw StartFailure(description: "reset-auth answered \(response.status)") }
        return MotoServer(port: port, userName: userName, admin: key.credentials, pid: pid)
    }
}
