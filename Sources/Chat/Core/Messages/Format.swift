import Foundation

/// Small formatting helpers shared by the renderers.
enum Format {
    /// `2026-12-02 21:58 UTC`. Cut from the ISO 8601 format style rather than a `DateFormatter`
    /// made per call: a `due` table over 1,000 secrets formats 2,000 dates, and each formatter
    /// loaded ICU's calendar data.
    static func time(_ date: Date) -> String {
        let iso = date.formatted(.iso8601)
        return iso.prefix(10) + " " + iso.dropFirst(11).prefix(5) + " UTC"
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
