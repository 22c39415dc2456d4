import Foundation

/// The repository root and the built executable (`AEGIS_BINARY` overrides the path).
public enum Repository {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static var binary: URL {
        if let explicit = ProcessInfo.processInfo.environment["AEGIS_BINARY"] { return URL(fileURLWithPath: explicit) }
        return root.appendingPathComponent(".build/debug/aegis-rotate")
    }
}

/// A scratch working folder with a copy of the Commands folder, as a new operator would have.
public struct Workspace: Sendable {
    public let folder: URL

    public init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Repository.root.appendingPathComponent("Commands"), to: folder.appendingPathComponent("Commands"))
    }

    public var stateFile: URL { folder.appendingPathComponent(".aegis-rotate/state.sqlite") }
    public var logFile: URL { folder.appendingPathComponent(".aegis-rotate/aegis-rotate.log") }
    public var localRoot: URL { folder.appendingPathComponent(".aegis-rotate/local") }
    public var configFile: URL { localRoot.appendingPathComponent("deploy/aegis/configmap-aegis-config.json") }

    /// The environment the executable runs with: this machine's, minus its aegis-rotate, AWS and
    /// connection settings, plus `extra`.
    public func environment(_ extra: [String: String]) -> [String: String] {
        // Nothing of this machine's own configuration: no AEGIS_, AWS_ or connection setting.
        let inherited = ["AEGIS_", "AWS_", "KUBECONFIG", "DATABASE_URL", "REDIS_URL", "SLACK_"]
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in !inherited.contains { key.hasPrefix($0) } }
        environment["AEGIS_TIMER_POLL"] = "100ms"
        environment["AEGIS_RETRY_BASE"] = "10ms"
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// Runs a CLI command to completion.
    public func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let driver = try ProcessDriver(arguments: arguments, workspace: self, environment: extra)
        driver.closeInput()
        let status = try driver.waitForExit(timeout: 60)
        return (status, driver.stdout, driver.stderr)
    }
}

/// Runs the real `aegis-rotate` with pipes: write lines to it, wait for text, wait for its exit.
public final class ProcessDriver: Sendable {
    public let process: Process
    public let input: Pipe
    public let output = LockedBuffer()
    public let errors = LockedBuffer()

    public init(arguments: [String], workspace: Workspace, environment: [String: String]) throws {
        process = Process()
        process.executableURL = Repository.binary
        process.arguments = arguments
        process.currentDirectoryURL = workspace.folder
        process.environment = workspace.environment(environment)
        input = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = input
        process.standardOutput = stdout
        process.standardError = stderr
        stdout.fileHandleForReading.readabilityHandler = { [output] handle in
            output.append(handle.availableData)
        }
        stderr.fileHandleForReading.readabilityHandler = { [errors] handle in
            errors.append(handle.availableData)
        }
        try process.run()
    }

    /// Stops reading and closes our ends of the pipes once the process has ended (hundreds of
    /// runs in one test process would otherwise pile up open descriptors).
    func releasePipes() {
        for pipe in [process.standardOutput, process.standardError].compactMap({ $0 as? Pipe }) {
            pipe.fileHandleForReading.readabilityHandler = nil
            if let rest = try? pipe.fileHandleForReading.readToEnd() {
                (pipe === process.standardOutput as? Pipe ? output : errors).append(rest)
            }
            try? pipe.fileHandleForReading.close()
        }
        try? input.fileHandleForWriting.close()
    }

    public var stdout: String { output.text }
    public var stderr: String { errors.text }

    public func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    public func closeInput() {
        try? input.fileHandleForWriting.close()
    }

    /// Waits until standard output contains `text` `count` times; throws with the output so far.
    public func waitFor(_ text: String, count: Int = 1, timeout: TimeInterval = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stdout.components(separatedBy: text).count - 1 >= count { return }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        if stdout.components(separatedBy: text).count - 1 >= count { return }
        throw DriverError("did not see \(count)× '\(text)' within \(timeout)s.\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)")
    }

    /// Waits for the process to end; returns its exit status, or the signal that killed it as -signal.
    @discardableResult
    public func waitForExit(timeout: TimeInterval = 60) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        guard !process.isRunning else {
            process.terminate()
            throw DriverError("process did not exit within \(timeout)s.\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)")
        }
        Thread.sleep(forTimeInterval: 0.05)
        releasePipes()
        return process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
    }
}

public struct DriverError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Bytes appended by a pipe's reader thread and read by the test.
public final class LockedBuffer: @unchecked Sendable {
    public init() {}

    private let lock = NSLock()
    private var data = Data()

    public func append(_ more: Data) {
        lock.lock()
        defer { lock.unlock() }
        data.append(more)
    }

    public var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
