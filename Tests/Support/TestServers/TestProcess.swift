import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process for tests: the one way the suites start programs (servers, Python checkers,
/// the real `aegis-rotate`). Every wait is async (it polls with `Task.sleep`, so no thread of the
/// cooperative pool is blocked) and has a deadline; a wait that runs out throws a ``ServerError``
/// naming what it waited for, with the end of what the process printed.
///
/// Spawned with `posix_spawn` rather than Foundation's `Process`: the child gets an empty signal
/// mask and default handlers (test threads block SIGTERM and SIGINT, and a child inheriting that
/// mask could not be stopped by signal, which the shutdown tests rely on); standard output and
/// error go to files (a daemon the program forks keeps them open, so a pipe would never end);
/// descriptors above 2 are closed in the child (hundreds of the test process's sockets would
/// count against a server's file limit).
public final class TestProcess: Sendable {
    public let pid: pid_t
    public let name: String
    let stdoutPath: String
    let stderrPath: String
    let input: Mutex<Int32>
    let exit = Mutex<Int32?>(nil)

    /// Starts `path` with `arguments`. `environment` replaces this process's environment when
    /// given; `directory` is the child's working folder; with `input`, standard input is a pipe
    /// that ``send(_:)`` writes to (else /dev/null). `mergeOutput` sends standard error to the
    /// standard output file.
    public init(_ path: String, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil,
                input wantsInput: Bool = false, mergeOutput: Bool = false) throws {
        TestProcess.ignoreSIGPIPE
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-proc-\(UUID().uuidString)").path
        stdoutPath = base + ".out"
        stderrPath = mergeOutput ? base + ".out" : base + ".err"
        name = URL(fileURLWithPath: path).lastPathComponent + (arguments.isEmpty ? "" : " " + arguments.prefix(3).joined(separator: " "))

        var fds: [Int32] = [-1, -1]
        if wantsInput { guard pipe(&fds) == 0 else { throw ServerError("pipe() failed for \(name)") } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if wantsInput {
            posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if mergeOutput {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        if let directory { addChdir(&actions, directory.path) }
        closeInheritedDescriptors(&actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer {
            argv.forEach { free($0) }
            envp?.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = envp.map { posix_spawn(&pid, path, &actions, &attributes, argv, $0) } ?? posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        if wantsInput { close(fds[0]) }
        guard spawned == 0 else {
            if wantsInput { close(fds[1]) }
            throw ServerError("cannot start \(path): \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
        self.input = Mutex(wantsInput ? fds[1] : -1)
    }

    deinit {
        input.withLock { fd in if fd >= 0 { close(fd) } }
        if exit.withLock({ $0 }) == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
        try? FileManager.default.removeItem(atPath: stdoutPath)
        try? FileManager.default.removeItem(atPath: stderrPath)
    }

    private static let ignoreSIGPIPE: Void = { _ = Glibc.signal(SIGPIPE, SIG_IGN) }()

    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var stderr: String { stdoutPath == stderrPath ? "" : (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// The end of both outputs, for failure messages.
    public var outputTail: String {
        "--- stdout (end) ---\n\(String(stdout.suffix(3_000)))\n--- stderr (end) ---\n\(String(stderr.suffix(2_000)))"
    }

    /// `python3` (from PATH) with `arguments`.
    public static func python(_ arguments: [String], input: Bool = false, mergeOutput: Bool = false) throws -> TestProcess {
        guard let python = executable("python3") else { throw ServerError("python3 is not on PATH") }
        return try TestProcess(python, arguments, input: input, mergeOutput: mergeOutput)
    }

    /// Writes a line to standard input (started with `input: true`).
    public func send(_ line: String) { write(Array((line + "\n").utf8)) }

    /// Writes bytes to standard input (started with `input: true`).
    public func write(_ bytes: [UInt8]) {
        input.withLock { fd in
            guard fd >= 0 else { return }
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Closes standard input (end of input for the program).
    public func closeInput() {
        input.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    public func signal(_ signal: Int32) { if exitStatus == nil { kill(pid, signal) } }

    /// The exit status once the process ended (−signal when a signal ended it), nil while it runs.
    public var exitStatus: Int32? {
        exit.withLock { known in
            if let known { return known }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            let value = (status & 0x7f) == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
            known = value
            return value
        }
    }

    public var isRunning: Bool { exitStatus == nil }

    /// Waits for the process to end and returns its exit status (−signal when a signal ended it).
    /// On the deadline it is killed and the wait throws.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = exitStatus { return status }
            try await Task.sleep(for: .milliseconds(20))
        }
        if let status = exitStatus { return status }
        kill(pid, SIGKILL)
        throw ServerError("\(name) did not exit within \(timeout) (killed)\n\(outputTail)")
    }

    /// Waits until standard output contains `text` `count` times; throws with the output so far,
    /// at once if the process ended without printing it.
    public func waitForOutput(_ text: String, count: Int = 1, timeout: Duration = .seconds(90)) async throws {
        let deadline = ContinuousClock.now + timeout
        func seen() -> Bool { stdout.components(separatedBy: text).count - 1 >= count }
        while ContinuousClock.now < deadline {
            if seen() { return }
            if let status = exitStatus {
                if seen() { return }
                throw ServerError("\(name) exited (\(status)) before printing \(count)× '\(text)'\n\(outputTail)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        if seen() { return }
        throw ServerError("\(name) did not print \(count)× '\(text)' within \(timeout)\n\(outputTail)")
    }

    /// SIGTERM (or `first`), then SIGKILL if it has not ended within `grace`.
    public func stop(signal first: Int32 = SIGTERM, grace: Duration = .seconds(10)) async {
        signal(first)
        if (try? await waitForExit(timeout: grace)) == nil { _ = try? await waitForExit(timeout: .seconds(30)) }
    }
}

/// Runs a program to completion; throws with its output when it exits non-zero.
@discardableResult
public func runProgram(_ path: String, _ arguments: [String], timeout: Duration = .seconds(120)) async throws -> String {
    let result = try await runProcess(path, arguments, timeout: timeout)
    guard result.status == 0 else {
        throw ServerError("\(URL(fileURLWithPath: path).lastPathComponent) failed (status \(result.status)): \(result.output)")
    }
    return result.output
}

/// How a program ended: its exit status (−signal when a signal ended it) and its output.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var output: String
}

/// Runs a program to completion, standard output and error together; killed after `timeout`.
public func runProcess(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                       timeout: Duration = .seconds(120)) async throws -> ProcessResult {
    let process = try TestProcess(path, arguments, environment: environment, mergeOutput: true)
    let status = try await process.waitForExit(timeout: timeout)
    return ProcessResult(status: status, output: process.stdout)
}

/// Polls `condition` until it holds; throws, naming `what`, when `timeout` passes first.
public func waitUntil(_ what: String, timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(50),
                      _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    if try await condition() { return }
    throw ServerError("gave up waiting for \(what) after \(timeout)")
}

/// `posix_spawn_file_actions_addchdir_np` (glibc 2.29+), looked up at run time.
func addChdir(_ actions: inout posix_spawn_file_actions_t, _ path: String) {
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else { return }
    _ = path.withCString { unsafeBitCast(symbol, to: AddChdir.self)(&actions, $0) }
}
