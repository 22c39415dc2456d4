import Foundation

/// Runs `python3` with arguments, feeding `input` on standard input; returns standard output.
/// Throws with the exit status and standard error when it fails.
enum PythonProcess {
    struct Failure: Error, CustomStringConvertible {
        var status: Int32
        var standardError: String
        var description: String { "python3 exited \(status): \(standardError)" }
    }

    static func run(_ arguments: [String], input: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(status: process.terminationStatus, standardError: String(decoding: errors, as: UTF8.self))
        }
        return output
    }
}
