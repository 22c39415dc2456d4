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
