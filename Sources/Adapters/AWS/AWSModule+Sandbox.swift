import AegisCore

extension AWSModule {
    /// The sandbox's IAM: the stand-in mints the new key, the old one goes inactive after
    /// verification and is deleted after the grace period unless it was switched back on; STS
    /// accepts what the stand-in accepts. (`aws-managed-rotation` and `rds-master-password` have
    /// no stand-in: the rotation happens inside Secrets Manager or RDS, which the sandbox does not
    /// have.)
    public static func wireSandbox(_ sandbox: SandboxSetup, into wiring: inout AdapterWiring) {
        wiring.steps[.iamAccessKey] = sandbox.standIn("IAM", phases: [
            IAMAccessKeyStep.Phase.create.rawValue: .mintNew,
            IAMAccessKeyStep.Phase.deactivateOld.rawValue: .retireOld(.inactive),
            IAMAccessKeyStep.Phase.deleteOldAfterGrace.rawValue: .retireOldAfterGrace(.deleted, onlyIfInactive: true),
        ])
        wiring.checks[.stsCallerIdentity] = sandbox.credentialCheck("STS")
        // ElastiCache: ROTATE makes the new token valid beside the old; SET drops the old one
        // after the grace period.
        wiring.steps[.elastiCacheAuthToken] = sandbox.standIn("ElastiCache", phases: [
            ElastiCacheAuthTokenStep.Phase.rotate.rawValue: .applyNew(replacesOld: false),
            ElastiCacheAuthTokenStep.Phase.set.rawValue: .retireOldAfterGrace(.revoked),
        ])
    }
}
