import AegisCore
import Foundation

/// `logs`: no authentication errors in the deployment's pod logs over the wait window
/// (`AEGIS_LOG_SCAN_WINDOW`, or the check's `window`). The pattern is the runbook's
/// `auth.*error|unauthorized|forbidden`, case-insensitive, unless the check names another.
/// The failure detail counts matches and quotes at most one line, clipped, since log lines are
/// the application's and could hold anything.
public struct LogScanCheck: CheckRunner {
    public static let runbookPattern = "auth.*error|unauthorized|forbidden"
    let logs: any DeploymentLogSource

    public init(logs: any DeploymentLogSource) { self.logs = logs }

    public func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        guard let location = context.definition.deploy else {
            return CheckResult(title: check.title, status: .failed, detail: "no deployment to read logs from")
        }
        let window = check.parameters["window"].flatMap { try? DurationText.parse($0) } ?? context.settings.logScanWindow
        let pattern = check.parameters["pattern"] ?? Self.runbookPattern
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else {
            return CheckResult(title: check.title, status: .failed, detail: "the pattern is not a valid regular expression")
        }
        do {
            let lines = try await logs.recentLines(location, window: window)
            let matches = lines.filter { regex.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }
            guard let first = matches.first else {
                return CheckResult(title: check.title, status: .passed,
                                   detail: "\(lines.count) lines over \(DurationText.format(window)), none match /\(pattern)/i")
            }
            return CheckResult(title: check.title, status: .failed,
                               detail: "\(matches.count) of \(lines.count) lines match, e.g. \"\(first.prefix(120))\"")
        } catch {
            return CheckResult(title: check.title, status: .failed, detail: RotationEngine.safeDescription(error))
        }
    }
}
