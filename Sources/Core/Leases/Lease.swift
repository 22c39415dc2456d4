import Foundation

/// What a lease guards: one rotation, or one timer. Only the holder of a live lease may write a
/// rotation's progress (or fire a timer), so with several replicas on one state store exactly one
/// of them acts on each.
public struct LeaseName: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static func rotation(_ id: RotationID) -> LeaseName { LeaseName(rawValue: "rotation:\(id)") }
    public static func timer(_ id: String) -> LeaseName { LeaseName(rawValue: "timer:\(id)") }

    public var description: String { rawValue }
}

/// A lease this process holds: the store's row matched `owner` and `generation` when it was
/// taken. `generation` grows each time the lease changes hands, so a grant from before a takeover
/// never matches again (a fencing token).
public struct LeaseGrant: Hashable, Sendable {
    public let name: LeaseName
    public let owner: ReplicaOwner
    public let generation: Int64
    public let ttl: Duration

    public init(name: LeaseName, owner: ReplicaOwner, generation: Int64, ttl: Duration) {
        self.name = name
        self.owner = owner
        self.generation = generation
        self.ttl = ttl
    }
}

/// The lease expired or another replica holds it now. The holder stops before its next side
/// effect; whoever holds the lease now resumes or rolls back, as after a restart.
public struct LeaseLost: Error, CustomStringConvertible, Sendable {
    public let name: LeaseName
    public let reason: String

    public init(name: LeaseName, reason: String) {
        self.name = name
        self.reason = reason
    }

    public var description: String { "lost the lease on \(name): \(reason)" }
}

/// The lease the current task acts under. Every write a state store makes while it is set first
/// checks, in the same transaction, that the lease is still this process's and unexpired, and
/// extends it; otherwise the write fails with ``LeaseLost`` and changes nothing. Set by
/// ``LeaseKeeper/withLease(_:_:)``; a task local so every write of a rotation's run (steps'
/// facts, audit records, timers) carries it without threading it through each call.
public enum LeaseContext {
    @TaskLocal public static var current: LeaseGrant?
}
