#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file an operator named (a kubeconfig, a CA bundle, a token or `_FILE` secret): a
/// regular file of at most `limit` bytes, or a reason why not.
///
/// `FileManager.contents(atPath:)` reads whatever the path is: `/dev/zero` until memory runs out,
/// a FIFO until someone writes to it. A path in a config file is untrusted input, so this opens
/// without blocking, checks the opened file (not the path, which could change in between) and
/// reads at most one byte past the limit.
public enum BoundedFile {
    /// One MiB: larger than any credential, kubeconfig or CA bundle the bot reads.
    public static let defaultLimit = 1 << 20

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case cannotOpen(errno: Int32)
        case notARegularFile
        case tooLarge(limit: Int)
        case readFailed(errno: Int32)

        public var description: String {
            switch self {
            case .cannotOpen(let code): "cannot be opened (\(String(cString: strerror(code))))"
            case .notARegularFile: "is not a regular file"
            case .tooLarge(let limit): "is larger than \(limit) bytes"
            case .readFailed(let code): "cannot be read (\(String(cString: strerror(code))))"
            }
        }
    }

    public static func read(_ path: String, limit: Int = defaultLimit) -> Result<[UInt8], Failure> {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(.cannotOpen(errno: errno)) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .failure(.readFailed(errno: errno)) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { return .failure(.notARegularFile) }
        guard status.st_size <= limit else { return .failure(.tooLarge(limit: limit)) }
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                systemRead(descriptor, buffer.baseAddress! + count, buffer.count - count)
            }
            if got < 0 {
                if errno == EINTR { continue }
                return .failure(.readFailed(errno: errno))
            }
            if got == 0 { break }
            count += got
        }
        guard count <= limit else { return .failure(.tooLarge(limit: limit)) }
        return .success(Array(bytes[..<count]))
    }

    private static func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(descriptor, buffer, count)
        #else
        Darwin.read(descriptor, buffer, count)
        #endif
    }

    /// The file's bytes, or nil when it cannot be read within the rules above; for callers whose
    /// error already names the path and that only need "cannot be read".
    public static func contents(_ path: String, limit: Int = defaultLimit) -> [UInt8]? {
        try? read(path, limit: limit).get()
    }
}
