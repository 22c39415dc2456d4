import AegisTestServers
import Foundation
import Testing

/// 1,000 secrets (the repository's nine plus 991 generated copies of the JWT secret): the CLI
/// lists and reports all of them, and the chat replies summarise instead of being cut mid-table
/// (their size: `ChatSummaryTests`). How long `list` and `due` take is measured by `aegis-bench`,
/// not here.
@Suite("inventory at scale: 1,000 secrets")
struct InventoryAtScaleTests {
    static let total = 1_000

    static func workspace() throws -> Workspace {
        let workspace = try Workspace()
        let commands = workspace.folder.appendingPathComponent("Commands")
        let existing = try FileManager.default.contentsOfDirectory(atPath: commands.path).filter { $0.hasSuffix(".yaml") }.count
        try GeneratedCommands.write(try GeneratedCommands.jwtCopies(1...(total - existing), id: { "scale-jwt-\($0)" }, aliases: { ["scale\($0)"] }),
                                    to: commands)
        return workspace
    }

    @Test("list and due print every secret; /rotate list, due and help summarise and point at the CLI")
    func aThousandSecrets() async throws {
        let workspace = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: workspace.folder) }

        let list = try await workspace.run(["list", "--json"])
        #expect(list.status == 0, "\(list.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: String]]
        #expect(rows?.count == Self.total)
        let due = try await workspace.run(["due", "--json"])
        #expect(due.status == 0, "\(due.stderr)")
        let items = try JSONSerialization.jsonObject(with: Data(due.stdout.utf8)) as? [[String: Any]]
        #expect(items?.count == Self.total)

        let shell = try workspace.start(["shell"])
        try await shell.waitForOutput("You are alice", timeout: .seconds(120))
        shell.send("/rotate due")
        try await shell.waitForOutput("\(Self.total) secrets: ")
        try await shell.waitForOutput("… and \(Self.total - 15) more. `aegis-rotate due` prints them all.")
        shell.send("/rotate list")
        try await shell.waitForOutput("\(Self.total) secrets; the first 15:")
        try await shell.waitForOutput("… and \(Self.total - 15) more. `aegis-rotate list` prints them all.")
        shell.send("/rotate help")
        try await shell.waitForOutput("… and \(Self.total - 25) more: `/rotate list`.")
        shell.send("/quit")
        #expect(try await shell.waitForExit(timeout: .seconds(30)) == 0)
    }
}
