import Foundation

/// Small formatting helpers shared by the renderers.
enum Format {
    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date) + " UTC"
    }

    static func seconds(_ interval: TimeInterval?) -> String {
        guard let interval else { return "" }
        return interval < 10 ? String(format: "%.1fs", interval) : "\(Int(interval.rounded()))s"
    }

    /// A fixed-width text table for `list`, `due` and the CLI.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
