import AegisCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The shell's pretend workspace: who exists, who is in the approver channel, who is typing.
/// Defaults: alice and bob (operators), carol and dave (members of #security-ops); a config file
/// changes it (`shell.users`, `shell.approvers`).
///
/// In production the workspace is not pretend: the only user is the operating-system user who runs
/// the shell (``operatingSystem(approvers:)``), `/as` is refused, and approvers are only those the
/// config file lists, so one person at one terminal can never be requester and approver.
public struct ShellWorkspace: Sendable {
    public var users: [String]
    public var approvers: [String]
    public var channel: String
    /// The typist cannot switch users (production).
    public var identityLocked: Bool

    public init(users: [String] = ["alice", "bob", "carol", "dave"], approvers: [String] = ["carol", "dave"], channel: String = "shell",
                identityLocked: Bool = false) {
        self.users = users
        self.approvers = approvers
        self.channel = channel
        self.identityLocked = identityLocked
    }

    /// The production shell: the operating-system user, and the configured approvers (maybe none).
    public static func operatingSystem(approvers: [String]) -> ShellWorkspace {
        ShellWorkspace(users: [OperatingSystemUser.name], approvers: approvers, identityLocked: true)
    }
}

/// Who runs this process, as the operating system says (not `$USER`, which the typist sets).
public enum OperatingSystemUser {
    public static var name: String {
        let uid = geteuid()
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid-\(uid)" }
        return PersonName.normalize(String(cString: name))
    }
}
