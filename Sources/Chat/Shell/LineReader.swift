import Foundation

/// Standard input as an async stream of lines. A dedicated thread does the blocking reads, so the
/// cooperative pool never blocks; works the same on a TTY and on a pipe.
enum LineReader {
    static func standardInput() -> AsyncStream<String> {
        AsyncStream { continuation in
            let thread = Thread {
                while let line = readLine(strippingNewline: true) { continuation.yield(line) }
                continuation.finish()
            }
            thread.start()
        }
    }
}
