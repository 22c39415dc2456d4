import Synchronization

/// A wait that ran out of time. Names what was waited for, so a stuck shutdown or test says where.
public struct DeadlineExceeded: Error, CustomStringConvertible, Sendable {
    public let what: String
    public let after: Duration

    public init(what: String, after: Duration) {
        self.what = what
        self.after = after
    }

    public var description: String { "gave up waiting for \(what) after \(after)" }
}

/// Runs `operation` and returns its result, or throws ``DeadlineExceeded`` once `limit` has passed.
///
/// Unlike a task group, this does not wait for an operation that ignores cancellation: on the
/// deadline the operation is cancelled and left behind, and the caller goes on. That is the point:
/// shutting down, closing a client or stopping a server must end on time even when the thing being
/// closed does not. Cancelling the caller cancels the operation too.
public func withDeadline<T: Sendable>(_ limit: Duration, _ what: String,
                                      _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let work = Task { try await operation() }
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            race.arm(continuation)
            Task {
                let result = await work.result
                race.finish(with: result)
            }
            Task {
                try? await Task.sleep(for: limit)
                if race.finish(with: .failure(DeadlineExceeded(what: what, after: limit))) { work.cancel() }
            }
        }
    } onCancel: {
        work.cancel()
    }
}

/// Like ``withDeadline(_:_:_:)`` for cleanup that must not fail the caller: returns false (and the
/// operation keeps running, cancelled) when it did not finish in time.
@discardableResult
public func finishWithin(_ limit: Duration, _ what: String, _ operation: @escaping @Sendable () async -> Void) async -> Bool {
    do {
        try await withDeadline(limit, what) { await operation() }
        return true
    } catch {
        return false
    }
}

/// The first of the operation's result and the deadline wins; the other is ignored.
private final class DeadlineRace<T: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<T, any Error>?, result: Result<T, any Error>?, done: Bool)>((nil, nil, false))

    func arm(_ continuation: CheckedContinuation<T, any Error>) {
        let early: Result<T, any Error>? = state.withLock { state in
            if let result = state.result { return result }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    /// Returns true when this call decided the race.
    @discardableResult
    func finish(with result: Result<T, any Error>) -> Bool {
        let decided: (CheckedContinuation<T, any Error>?, Bool) = state.withLock { state in
            guard !state.done else { return (nil, false) }
            state.done = true
            if let continuation = state.continuation {
                state.continuation = nil
                return (continuation, true)
            }
            state.result = result
            return (nil, true)
        }
        decided.0?.resume(with: result)
        return decided.1
    }
}
