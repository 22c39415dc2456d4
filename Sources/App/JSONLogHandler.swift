import AegisCore
import Foundation
import Logging

/// One JSON object per line: time, level, message, metadata (dotted keys such as `rotation.id`).
/// Secrets cannot reach it through the core's types: ``AegisCore/SecretValue`` prints `<redacted>`.
public struct JSONLogHandler: LogHandler {
    final class Sink: @unchecked Sendable {
        let handle: FileHandle
        let lock = NSLock()
        init(handle: FileHandle) { self.handle = handle }
        func write(_ data: Data) {
            lock.lock()
            defer { lock.unlock() }
            handle.write(data)
        }
    }

    let label: String
    let sink: Sink
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info

    public init(label: String, handle: FileHandle) {
        self.label = label
        self.sink = Sink(handle: handle)
    }

    /// A handler that appends to `path` (created 0600).
    public static func appending(to path: String, label: String) throws -> JSONLogHandler {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        return JSONLogHandler(label: label, handle: handle)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: String] = [
            // A format style, not a new ISO8601DateFormatter per line: the formatter brought ICU's
            // calendar machinery into every log call (issue 13's profile).
            "time": Timestamps.iso8601Fractional(Date()),
            "level": event.level.rawValue,
            "logger": label,
            "message": event.message.description,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) {
            object[key] = "\(value)"
        }
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        data.append(0x0A)
        sink.write(data)
    }
}
