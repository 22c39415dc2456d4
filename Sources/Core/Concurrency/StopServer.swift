import Foundation

/// Cancels a server's task and waits at most `limit` for it to end. A server whose connection
/// handlers outlive cancellation (a peer that keeps a socket open) is left behind with a line on
/// standard error naming it, rather than holding whoever stops it. Used by the in-repo fakes.
public func stopServer(_ runner: Task<Void, any Error>, name: String, limit: Duration = .seconds(2)) async {
    runner.cancel()
    if !(await finishWithin(limit, "\(name) to stop", { _ = await runner.result })) {
        FileHandle.standardError.write(Data("warning: \(name) did not stop within \(limit); its task is left cancelled\n".utf8))
    }
}
