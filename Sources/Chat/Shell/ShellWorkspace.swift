/// The shell's pretend workspace: who exists, who is in the approver channel, who is typing.
/// Defaults: alice and bob (operators), carol and dave (members of #security-ops); a config file
/// changes it (`shell.users`, `shell.approvers`).
public struct ShellWorkspace: Sendable {
    public var users: [String]
    public var approvers: [String]
    public var channel: String

    public init(users: [String] = ["alice", "bob", "carol", "dave"], approvers: [String] = ["carol", "dave"], channel: String = "shell") {
        self.users = users
        self.approvers = approvers
        self.channel = channel
    }
}
