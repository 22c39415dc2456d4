import Foundation

/// Scans text and files for secret values: the whole value and a 24-character piece of its longest
/// line (catches a clipped value, a PEM body line, or a JSON-escaped value).
public enum LeakScanner {
    public static func needles(for values: [String]) -> [String] {
        values.flatMap { value -> [String] in
            let line = value.split(separator: "\n").map(String.init).max(by: { $0.count < $1.count }) ?? value
            let start = line.index(line.startIndex, offsetBy: max(0, line.count / 2 - 12))
            let piece = String(line[start...].prefix(24))
            return [value, piece].filter { $0.count >= 16 }
        }
    }

    /// The names of the haystacks that contain any needle.
    public static func leaks(of values: [String], in haystacks: [String: Data]) -> [String] {
        let needles = needles(for: values).map { Data($0.utf8) }
        return haystacks.compactMap { name, data in
            needles.contains { data.range(of: $0) != nil } ? name : nil
        }.sorted()
    }

    /// Everything a run leaves that must hold no secret: outputs, the log, the state store files.
    public static func haystacks(_ workspace: Workspace, outputs: [String]) -> [String: Data] {
        var haystacks: [String: Data] = [:]
        for (index, output) in outputs.enumerated() { haystacks["output #\(index)"] = Data(output.utf8) }
        for file in [workspace.logFile, workspace.stateFile,
                     URL(fileURLWithPath: workspace.stateFile.path + "-wal"), URL(fileURLWithPath: workspace.stateFile.path + "-shm")] {
            if let data = try? Data(contentsOf: file) { haystacks[file.lastPathComponent] = data }
        }
        return haystacks
    }
}
