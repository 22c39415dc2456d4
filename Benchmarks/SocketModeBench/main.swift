import AegisCore
import Foundation
import SlackFake
import SlackWebAPI

/// `swift run -c release aegis-bench`: starts the Slack fake, then for each subject — the real
/// `aegis-rotate bot` (release build beside this executable) and a minimal Python slack_bolt app —
/// pushes Events API envelopes at rising rates and prints ack latency (fake-side, send → ack),
/// the achieved throughput, and the subject's resident memory. Everything stays on 127.0.0.1 and
/// every step is bounded in count and time.
struct Subject {
    let name: String
    let executable: String
    let arguments: [String]
    let environment: [String: String]
    let readyWhen: @Sendable (SlackFake) async -> Bool
}

struct Row {
    var subject: String
    var rate: String
    var sent: Int
    var acked: Int
    var p50: Double
    var p99: Double
    var max: Double
    var throughput: Double
    var rssMB: Double
    /// CPU time the subject spent per acked envelope, and the fake (this process) per sent one.
    var subjectMicros: Double
    var fakeMicros: Double
}

/// Unbuffered output, so a long run shows its rows as they come.
func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

/// `AEGIS_BENCH_LAUNCHER="valgrind --tool=callgrind …"` runs the bot under that command
/// (scripts/link-order.sh records which functions the bot runs this way); its numbers then
/// measure the launcher, not the bot.
let benchLauncher = (ProcessInfo.processInfo.environment["AEGIS_BENCH_LAUNCHER"] ?? "")
    .split(separator: " ").map(String.init)
let rates = [100, 250, 500, 1_000, 2_000]
let secondsPerRate = 3.0
let burstCount = 5_000

func envelopePayload(_ index: Int) -> JSONValue {
    ["type": "event_callback", "team_id": "T0001", "api_app_id": "A0AEGIS", "event_id": .string("Ev\(index)-\(UUID().uuidString.prefix(8))"),
     "event": ["type": "app_mention", "user": "U0BENCH01", "text": "<@UBOT> hello", "channel": "C0OPS0001", "ts": "1700000000.000100"]]
}

func residentMB(_ pid: Int32) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
    return kb / 1_024
}

/// CPU seconds a process has run so far: the sum over its threads of the scheduler's on-CPU time
/// (`/proc/<pid>/task/<tid>/schedstat`, nanoseconds). `/proc/<pid>/stat` counts 10 ms clock
/// ticks, too coarse for a 3 s phase; time of threads that already ended is not counted by
/// either, and neither subject ends threads while measured.
func cpuSeconds(_ pid: Int32) -> Double {
    guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return .nan }
    var nanoseconds = 0.0
    for thread in threads {
        guard let line = try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/schedstat", encoding: .utf8),
              let first = line.split(separator: " ").first, let value = Double(first) else { continue }
        nanoseconds += value
    }
    return nanoseconds / 1e9
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15
}

/// Sends `count` envelopes at `rate` per second (or as fast as possible when nil) and collects the acks.
func drive(_ fake: SlackFake, subject: String, pid: Int32, count: Int, rate: Int?) async throws -> Row {
    var ids: [String] = []
    ids.reserveCapacity(count)
    let subjectCPU = cpuSeconds(pid), fakeCPU = cpuSeconds(getpid())
    let started = ContinuousClock.now
    for index in 0..<count {
        if let rate {
            let due = started + .nanoseconds(Int64(Double(index) / Double(rate) * 1e9))
            if due > .now { try await Task.sleep(until: due, clock: .continuous) }
        }
        ids.append(try await fake.sendEnvelope(type: "events_api", payload: envelopePayload(index), acceptsResponsePayload: false))
    }
    let deadline = ContinuousClock.now + .seconds(30)
    while await fake.unacked > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
    let wanted = Set(ids)
    var latencies = await fake.allAcks.filter { wanted.contains($0.envelopeID) }.map { milliseconds($0.latency) }
    let elapsed = milliseconds(ContinuousClock.now - started) / 1_000
    latencies.sort()
    await fake.forgetAcks()
    return Row(subject: subject, rate: rate.map { "\($0)/s" } ?? "burst", sent: count, acked: latencies.count,
               p50: percentile(latencies, 0.50), p99: percentile(latencies, 0.99), max: latencies.last ?? .nan,
               throughput: Double(latencies.count) / max(elapsed, 0.001), rssMB: residentMB(pid),
               subjectMicros: (cpuSeconds(pid) - subjectCPU) * 1e6 / Double(max(latencies.count, 1)),
               fakeMicros: (cpuSeconds(getpid()) - fakeCPU) * 1e6 / Double(count))
}

func run(_ subject: Subject, report: (Row) -> Void) async throws {
    let fake = try await SlackFake.start(redeliverAfter: .seconds(60))
    await fake.addUser("U0BENCH01", name: "bench")
    await fake.addChannel("C0OPS0001", name: "ops", members: ["U0BENCH01"])
    await fake.addChannel("C0SECOPS1", name: "security-ops", members: ["U0BENCH01"])
    let process = Process()
    let launcher = subject.name == "aegis-rotate" ? benchLauncher : []
    process.executableURL = URL(fileURLWithPath: launcher.isEmpty ? subject.executable : "/usr/bin/env")
    process.arguments = (launcher.isEmpty ? [] : launcher + [subject.executable]) + subject.arguments
        + (subject.name == "slack_bolt" ? [fake.apiURL] : [])
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AEGIS_") && !$0.key.hasPrefix("SLACK_") }
    for (key, value) in subject.environment { environment[key] = value }
    environment["SLACK_API_URL"] = fake.apiURL
    process.environment = environment
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-bench-\(subject.name)-\(UUID().uuidString).out")
    FileManager.default.createFile(atPath: output.path, contents: nil)
    let outputHandle = try FileHandle(forWritingTo: output)
    process.standardOutput = outputHandle
    process.standardError = outputHandle
    try process.run()
    children.add(process)
    do {
        try await measure(subject, process: process, fake: fake, output: output, report: report)
    } catch {
        await stop(process)
        await finishWithin(.seconds(10), "the Slack fake to stop") { await fake.stop() }
        throw error
    }
    await stop(process)
    await finishWithin(.seconds(10), "the Slack fake to stop") { await fake.stop() }
}

func measure(_ subject: Subject, process: Process, fake: SlackFake, output: URL, report: (Row) -> Void) async throws {
    do {
        try await fake.waitUntil(timeout: .seconds(30), "\(subject.name) connected") { await subject.readyWhen($0) }
    } catch {
        let printed = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        let log = (try? String(contentsOf: state.appendingPathComponent("bot.log"), encoding: .utf8)) ?? ""
        say("\(subject.name) did not connect; it printed:\n\(printed.suffix(2_000))\nlog:\n\(log.suffix(2_000))")
        throw error
    }
    let pid = process.processIdentifier
    let idleStart = cpuSeconds(pid)
    try await Task.sleep(for: .seconds(2))
    idleMB[subject.name] = residentMB(pid)
    idleCPU[subject.name] = (cpuSeconds(pid) - idleStart) * 1e3 / 2
    _ = try await bounded { try await drive(fake, subject: subject.name, pid: pid, count: 200, rate: 200) }
    for rate in rates {
        report(try await bounded { try await drive(fake, subject: subject.name, pid: pid, count: Int(Double(rate) * secondsPerRate), rate: rate) })
    }
    report(try await bounded { try await drive(fake, subject: subject.name, pid: pid, count: burstCount, rate: nil) })
}

/// SIGTERM, then SIGKILL if the subject is still there 5 s later (60 s under a launcher such as
/// valgrind, which writes its profile after the bot's graceful stop); never blocks a thread waiting.
func stop(_ process: Process) async {
    process.terminate()
    for signalNumber in [SIGTERM, SIGKILL] {
        if signalNumber == SIGKILL, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let deadline = ContinuousClock.now + (signalNumber == SIGTERM && !benchLauncher.isEmpty ? .seconds(60) : .seconds(5))
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if !process.isRunning { break }
    }
    if process.isRunning { say("warning: pid \(process.processIdentifier) survived SIGKILL for 5 s") }
    children.remove(process)
}

/// Runs one phase with a hard limit, so a stuck subject ends the run with a message, not a hang.
/// `withDeadline` leaves behind a phase that ignores cancellation (a task group would wait for it:
/// that is how two-subject runs used to hang after slack_bolt's burst).
func bounded(_ phase: @escaping @Sendable () async throws -> Row) async throws -> Row {
    try await withDeadline(.seconds(90), "a benchmark phase") { try await phase() }
}

/// Child processes, terminated if the benchmark itself is interrupted (a bot left behind would
/// reconnect forever; Bolt ignores SIGTERM's default only while its parent lives).
final class Children: @unchecked Sendable {
    private let lock = NSLock()
    private var processes: [Process] = []
    func add(_ process: Process) { lock.lock(); processes.append(process); lock.unlock() }
    func remove(_ process: Process) { lock.lock(); processes.removeAll { $0 === process }; lock.unlock() }
    func terminateAll() { lock.lock(); processes.forEach { $0.terminate() }; lock.unlock() }
}

let children = Children()
/// Resident memory two seconds after the subject connected, before any envelope.
nonisolated(unsafe) var idleMB: [String: Double] = [:]
/// CPU milliseconds per second over the same two idle seconds: the subject's background wake-ups.
nonisolated(unsafe) var idleCPU: [String: Double] = [:]
let signalSources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
    signal(number, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
    source.setEventHandler {
        children.terminateAll()
        exit(130)
    }
    source.resume()
    return source
}


let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let state = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-bench-\(UUID().uuidString)")
let subjects = [
    Subject(name: "aegis-rotate", executable: here.appendingPathComponent("aegis-rotate").path, arguments: ["bot"], environment: [
        "SLACK_APP_TOKEN": "xapp-1-bench", "SLACK_BOT_TOKEN": "xoxb-bench", "AEGIS_ENV": "local", "AEGIS_OPS_ADDRESS": "127.0.0.1:0",
        "AEGIS_STATE_URL": "sqlite://\(state.path)/state.sqlite", "AEGIS_LOG_FILE": "\(state.path)/bot.log", "AEGIS_LOG_LEVEL": "info",
        "AEGIS_COMMANDS_DIR": sources.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Commands").path,
    ], readyWhen: { await $0.openSockets == 1 }),
    Subject(name: "slack_bolt", executable: "/usr/bin/env", arguments: ["python3", sources.appendingPathComponent("bolt_app.py").path],
            environment: [:], readyWhen: { await $0.openSockets == 1 }),
]

say("Socket Mode ack benchmark: \(rates.map { "\($0)/s" }.joined(separator: ", ")) for \(Int(secondsPerRate)) s each, then a burst of \(burstCount); latency is the fake's send → ack time")
say("subject        rate     sent   acked   p50 ms   p99 ms   max ms   acks/s   RSS MB  CPU µs/env  fake µs/env")
/// `/rotate due` and `list` over 1,000 generated secrets: the CLI's wall time (the same code answers in chat).
func inventoryAtScale() async {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-bench-inventory-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let commands = sources.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Commands")
    do {
        try FileManager.default.copyItem(at: commands, to: folder)
        let jwt = try String(contentsOf: folder.appendingPathComponent("jwt-signing-key.yaml"), encoding: .utf8)
        for n in 1...991 {
            try jwt.replacingOccurrences(of: "id: jwt-signing-key", with: "id: bench-jwt-\(n)")
                .replacingOccurrences(of: "aliases: [jwt]", with: "aliases: [bench\(n)]")
                .replacingOccurrences(of: "title: JWT signing key", with: "title: Bench JWT \(n)")
                .write(to: folder.appendingPathComponent("bench-jwt-\(n).yaml"), atomically: true, encoding: .utf8)
        }
        for command in ["list", "due"] {
            let process = Process()
            process.executableURL = here.appendingPathComponent("aegis-rotate")
            process.arguments = [command, "--json"]
            process.environment = ["AEGIS_COMMANDS_DIR": folder.path, "AEGIS_ENV": "local", "PATH": "/usr/bin:/bin",
                                   "AEGIS_LOCAL_DIR": folder.appendingPathComponent(".local").path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            let started = ContinuousClock.now
            try process.run()
            let deadline = started + .seconds(60)
            while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            let elapsed = milliseconds(ContinuousClock.now - started)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            say(String(format: "inventory at scale: aegis-rotate %@ --json over 1,000 secrets: %.0f ms (exit %d)", command as NSString, elapsed,
                       process.isRunning ? -1 : process.terminationStatus))
        }
    } catch {
        say("inventory at scale: failed: \(error)")
    }
}

/// `aegis-bench [aegis-rotate|slack_bolt]` runs one subject; no argument runs both.
let chosen = CommandLine.arguments.dropFirst().first
var all: [Row] = []
for subject in subjects where chosen == nil || chosen == subject.name {
    do {
        try await run(subject) { row in
            all.append(row)
            say(String(format: "%-13@  %-7@  %5d  %6d  %7.2f  %7.2f  %7.2f  %7.0f  %7.1f  %10.0f  %11.0f", row.subject as NSString,
                       row.rate as NSString, row.sent, row.acked, row.p50, row.p99, row.max, row.throughput, row.rssMB,
                       row.subjectMicros, row.fakeMicros))
        }
    } catch {
        say("\(subject.name): failed: \(error)")
    }
}
@MainActor func value(_ subject: String, _ rate: String, _ key: KeyPath<Row, Double>) -> Double {
    all.first { $0.subject == subject && $0.rate == rate }.map { $0[keyPath: key] } ?? .nan
}
let peak = { (subject: String) in all.filter { $0.subject == subject }.map(\.rssMB).max() ?? .nan }
let boltBurst = all.first { $0.subject == "slack_bolt" && $0.rate == "burst" }
let boltKeptUp = boltBurst.map { $0.acked == $0.sent } ?? false
say("")
say("metric                     aegis-rotate   slack_bolt      ratio  target")
func ratioLine(_ name: String, _ ours: Double, _ theirs: Double, _ ratio: Double, _ target: String, _ met: Bool) {
    let numbers = String(format: "%12.2f  %11.2f  %8.2fx", ours, theirs, ratio)
    say(name.padding(toLength: 25, withPad: " ", startingAt: 0) + "  " + numbers + "  " + target + " — "
        + (ratio.isNaN ? "not measured" : met ? "met" : "not met"))
}
let cpu = (value("aegis-rotate", "500/s", \.subjectMicros), value("slack_bolt", "500/s", \.subjectMicros))
ratioLine("CPU µs/envelope at 500/s", cpu.0, cpu.1, cpu.1 / cpu.0, "≥ 5x lower", cpu.1 / cpu.0 >= 5)
let p99 = (value("aegis-rotate", "500/s", \.p99), value("slack_bolt", "500/s", \.p99))
ratioLine("p99 ack ms at 500/s", p99.0, p99.1, p99.1 / p99.0, "≥ 5x lower", p99.1 / p99.0 >= 5)
let rss = (peak("aegis-rotate"), peak("slack_bolt"))
ratioLine("peak RSS MB", rss.0, rss.1, rss.1 / rss.0, "below slack_bolt's", rss.0 < rss.1)
let idle = (idleMB["aegis-rotate"] ?? .nan, idleMB["slack_bolt"] ?? .nan)
ratioLine("idle RSS MB", idle.0, idle.1, idle.1 / idle.0, "aegis-rotate < 30 MB", idle.0 < 30)
let idleLoad = (idleCPU["aegis-rotate"] ?? .nan, idleCPU["slack_bolt"] ?? .nan)
say(String(format: "idle CPU ms/s              %12.2f  %11.2f  (no target)", idleLoad.0, idleLoad.1))
let burst = (value("aegis-rotate", "burst", \.throughput), value("slack_bolt", "burst", \.throughput))
ratioLine("burst acks/s", burst.0, burst.1, burst.0 / burst.1, boltKeptUp ? "≥ 5x higher" : "≥ 5x higher (slack_bolt did not keep up: \(boltBurst?.acked ?? 0) of \(burstCount) acked)",
          burst.0 / burst.1 >= 5)
await inventoryAtScale()
try? FileManager.default.removeItem(at: state)
