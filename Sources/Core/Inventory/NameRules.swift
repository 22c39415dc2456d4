/// What a name in a Commands file may look like, per the system that uses it. Names reach file
/// paths (the local sandbox), API paths (Kubernetes, Secrets Manager) and chat commands, so a
/// name outside these rules is a load error, never escaped later.
enum NameRules {
    /// Kubernetes namespace: a DNS-1123 label (lower-case letters, digits, `-`; at most 63).
    static func isDNSLabel(_ name: String) -> Bool {
        guard (1...63).contains(name.utf8.count), let first = name.utf8.first, let last = name.utf8.last else { return false }
        return name.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") } && isLowerAlnum(first) && isLowerAlnum(last)
    }

    /// Kubernetes object names (Deployment, ConfigMap, Secret): a DNS-1123 subdomain, dot-separated
    /// labels of at most 253 characters.
    static func isDNSSubdomain(_ name: String) -> Bool {
        guard (1...253).contains(name.utf8.count) else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel(String($0)) }
    }

    /// A secret store name: Secrets Manager's rules (ASCII letters, digits and `/_+=.@-`, at most
    /// 512), with no empty, `.` or `..` path segment, so it can never leave a folder it names.
    static func isStoreName(_ name: String) -> Bool {
        guard (1...512).contains(name.utf8.count) else { return false }
        let allowed = Set("/_+=.@-".utf8)
        guard name.utf8.allSatisfy({ isAlnum($0) || allowed.contains($0) }) else { return false }
        return name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    /// A secret's id or alias as people type it: lower-case letters, digits and `-`, at most 64.
    static func isChatName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), let first = name.utf8.first else { return false }
        return isLowerAlnum(first) && name.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// Words `/rotate` reads as subcommands, and rotation IDs (`R-12`): a secret named so could
    /// never be reached.
    static func isReserved(_ name: String) -> Bool {
        let lower = name.lowercased()
        if ["list", "due", "status", "history", "cancel", "help", "approve", "deny"].contains(lower) { return true }
        return lower.hasPrefix("r-") && lower.dropFirst(2).allSatisfy(\.isNumber) && lower.count > 2
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isAlnum(_ byte: UInt8) -> Bool {
        isLowerAlnum(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
