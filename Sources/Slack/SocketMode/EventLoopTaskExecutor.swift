import NIOCore

/// Runs a task's jobs on one NIO event loop. A Socket Mode connection's tasks prefer the loop that
/// owns its socket, so reading a frame, parsing it and writing the ack happen on that one thread:
/// without the preference every envelope hopped from the loop to the cooperative pool (to read),
/// back to the loop (to write) and to the pool again (write done), three thread wake-ups per ack.
/// The work done there never blocks: it is a JSON parse and a socket write.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
