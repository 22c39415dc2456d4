import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A free TCP port on 127.0.0.1: bind a socket to port 0 and read back the port the kernel chose.
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ServerError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw ServerError("bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw ServerError("getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The first of `candidates` that exists and is executable, searching PATH for bare names.
public func executable(_ name: String, extraFolders: [String] = []) -> String? {
    let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init) + extraFolders
    return folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Runs a program to completion; throws with its output when it exits non-zero.
///
/// Spawned with `posix_spawn` rather than Foundation's `Process`, for two reasons: the child gets
/// an empty signal mask (test threads block SIGTERM and SIGINT, and a daemon inheriting that mask
/// could not be stopped by signal), and output goes to a file, since a daemon the program forks
/// keeps its standard output open. Descriptors above 2 are closed in the child. The wait polls, so
/// no test thread blocks.
@discardableResult
public func runProgram(_ path: String, _ arguments: [String]) async throws -> String {
    let result = try await runProcess(path, arguments)
    guard result.status == 0 else {
        throw ServerError("\(URL(fileURLWithPath: path).lastPathComponent) failed (status \(result.rawStatus)): \(result.output)")
    }
    return result.output
}

/// How a program ended: its exit status (-1 when a signal ended it) and its output.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var rawStatus: Int32
    public var output: String
}

/// Runs a program to completion, standard output and error together, with this process's
/// environment or `environment` (`KEY=value` entries); kills it by PID with SIGKILL after
/// `timeout`. Spawned as ``runProgram(_:_:)`` describes.
public func runProcess(_ path: String, _ arguments: [String], environment: [String]? = nil,
                       timeout: Duration = .seconds(120)) async throws -> ProcessResult {
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-run-\(UUID().uuidString).out").path
    defer { try? FileManager.default.removeItem(atPath: outputPath) }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    // Nothing else of the test process: its pipes and sockets (often hundreds, not all
    // close-on-exec) would count against a server's file limit; PostgreSQL refuses to start
    // when too few descriptors are left under max_files_per_process.
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
    let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup($0) } + [nil] }
    defer {
        argv.forEach { free($0) }
        envp?.forEach { free($0) }
    }
    var pid: pid_t = 0
    let spawned = envp.map { posix_spawn(&pid, path, &actions, &attributes, argv, $0) } ?? posix_spawn(&pid, path, &actions, &attributes, argv, environ)
    guard spawned == 0 else { throw ServerError("cannot start \(path): \(String(cString: strerror(spawned)))") }

    let deadline = ContinuousClock.now + timeout
    var status: Int32 = 0
    while true {
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { break }
        if result < 0 && errno != EINTR { throw ServerError("waitpid failed for \(path)") }
        if ContinuousClock.now > deadline {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            throw ServerError("\(URL(fileURLWithPath: path).lastPathComponent) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    let exited = (status & 0x7f) == 0
    return ProcessResult(status: exited ? (status >> 8) & 0xff : -1, rawStatus: status, output: output)
}

/// Stops a process by PID: SIGTERM, wait up to 10 s, then SIGKILL.
public func stopProcess(pid: pid_t, signal first: Int32 = SIGTERM) async {
    guard pid > 0 else { return }
    kill(pid, first)
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        if kill(pid, 0) != 0 { return }
        try? await Task.sleep(for: .milliseconds(50))
    }
    kill(pid, SIGKILL)
}

/// Polls `condition` until it holds or the timeout passes.
public func waitUntil(timeout: Duration = .seconds(15), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return false
}

public struct ServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `posix_spawn_file_actions_addclosefrom_np(actions, 3)` (glibc 2.34+; looked up at run time,
/// since Swift's Glibc module does not export it); where it is missing, every descriptor above 2
/// of this process is marked close-on-exec instead.
func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        return
    }
    let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    for fd in open.compactMap({ Int32($0) }) where fd > 2 {
        _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
    }
}
