import Foundation
/// The waits and channels the core uses, from configuration. Tests shorten waits through these
/// settings (`AEGIS_JWT_GRACE=2s`), never by editing code.
public struct RotationSettings: Sendable {
    public var approvalTTL: Duration
    public var logScanWindow: Duration
    /// Per-setting grace overrides by environment variable name, e.g. `AEGIS_JWT_GRACE` → 24h.
    public var graceOverrides: [String: Duration]
    public var approverChannel: String
    public var escalationChannel: String
    /// How many times a failing step is tried before the rotation rolls back.
    public var stepAttempts: Int
    /// The first retry's wait; it doubles each time.
    public var retryBaseDelay: Duration
    /// How often the durable timer table is polled.
    public var timerPollInterval: Duration
    /// How often overdue secrets are announced to the escalation channel.
    public var dueCheckInterval: Duration
    /// After SIGTERM, how long a running step may go on before it is cancelled and left, as after
    /// a crash, for the next start (``ShutdownGrace``). Kept short: the process must exit within
    /// 10 s of SIGTERM whatever a provider does.
    public var shutdownGrace: Duration
    /// How long a replica's hold on a rotation or timer lasts without renewal (`AEGIS_LEASE_TTL`):
    /// after a replica dies, another takes its rotations over within about this time.
    public var leaseTTL: Duration

    public init(
        approvalTTL: Duration = .seconds(30 * 60),
        logScanWindow: Duration = .seconds(5 * 60),
        graceOverrides: [String: Duration] = [:],
        approverChannel: String = "security-ops",
        escalationChannel: String = "platform-support",
        stepAttempts: Int = 3,
        retryBaseDelay: Duration = .seconds(1),
        timerPollInterval: Duration = .seconds(30),
        dueCheckInterval: Duration = .seconds(86_400),
        shutdownGrace: Duration = .seconds(4),
        leaseTTL: Duration = .seconds(30)
    ) {
        self.approvalTTL = approvalTTL
        self.logScanWindow = logScanWindow
        self.graceOverrides = graceOverrides
        self.approverChannel = approverChannel
        self.escalationChannel = escalationChannel
        self.stepAttempts = stepAttempts
        self.retryBaseDelay = retryBaseDelay
        self.timerPollInterval = timerPollInterval
        self.dueCheckInterval = dueCheckInterval
        self.shutdownGrace = shutdownGrace
        self.leaseTTL = leaseTTL
    }

    /// How often a replica looks for rotations nobody drives (their holder died): a tenth of the
    /// lease TTL (3 s for the default 30 s), so a takeover follows a lease's expiry closely. The
    /// look is one indexed query of the rotations that need driving.
    public var adoptionInterval: Duration { max(.milliseconds(200), leaseTTL / 10) }

    /// The grace period for a secret: its override setting if set, else its Commands file's value.
    public func grace(for definition: SecretDefinition) -> Duration? {
        if let setting = definition.graceSetting, let override = graceOverrides[setting] { return override }
        return definition.grace
    }
}
