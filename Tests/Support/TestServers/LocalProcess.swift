import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A TCP port on 127.0.0.1 that is free now and that no other caller in this process gets.
///
/// Servers a test starts (moto, redis-server, PostgreSQL) are told their port on the command line
/// and bind it a second or so later. A port the kernel picks for `bind(0)` comes from the
/// ephemeral range, which every outgoing connection of the test process also draws its local port
/// from; with hundreds of connections open, one of them took such a port before the server bound
/// it, and a test then talked to another test's server. So ports come from below the ephemeral
/// range (`/proc/sys/net/ipv4/ip_local_port_range`), where the kernel never assigns one, and a
/// process-wide counter hands each out once.
public func freeLoopbackPort() throws -> Int {
    for _ in 0..<TestPortAllocator.span {
        let port = TestPortAllocator.next()
        if canBindLoopback(port: port) { return port }
    }
    throw ServerError("no free port on 127.0.0.1 in \(TestPortAllocator.range)")
}

enum TestPortAllocator {
    /// Below Linux's default ephemeral range (32768–60999) and above the well-known services.
    static let range = 20000..<32000
    static var span: Int { range.count }
    private static let cursor = Mutex<Int>(Int.random(in: 0..<range.count))

    static func next() -> Int {
        cursor.withLock { offset in
            defer { offset = (offset + 1) % span }
            return range.lowerBound + offset
        }
    }
}

private func canBindLoopback(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    return bound == 0
}

/// The first of `candidates` that exists and is executable, searching PATH for bare names.
public func executable(_ name: String, extraFolders: [String] = []) -> String? {
    let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init) + extraFolders
    return folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Stops a process that is not our child (a daemon that forked, known by its pid file): the
/// signal, up to 10 s for it to go, then SIGKILL.
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
