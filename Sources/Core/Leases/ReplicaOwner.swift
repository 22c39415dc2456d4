import Foundation

/// Who holds a lease: this process, as `<replica>/<boot nonce>`.
///
/// The replica name comes from `AEGIS_REPLICA_ID` (the pod name in Kubernetes) or the host name;
/// the nonce is new at every start, so a restarted process with the same name never mistakes the
/// lease of its dead predecessor for its own and waits, like any other replica, for it to expire.
public struct ReplicaOwner: Hashable, Sendable, CustomStringConvertible, Codable {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// A new owner for this process start.
    public static func thisProcess(replica: String?) -> ReplicaOwner {
        let name = replica.flatMap { $0.isEmpty ? nil : $0 } ?? ProcessInfo.processInfo.hostName
        let nonce = UUID().uuidString.prefix(8).lowercased()
        return ReplicaOwner(rawValue: "\(name.prefix(100))/\(nonce)")
    }

    /// The replica part, for messages.
    public var replica: String { String(rawValue.split(separator: "/").first ?? "") }

    public var description: String { rawValue }
}
