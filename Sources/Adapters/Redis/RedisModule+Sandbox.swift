import AegisCore

extension RedisModule {
    /// The sandbox's Redis: an ACL user gets the new password beside the old one (removed after
    /// verification); `requirepass` replaces it. (ElastiCache is the AWS module's.)
    public static func wireSandbox(_ sandbox: SandboxSetup, into wiring: inout AdapterWiring) {
        wiring.steps[.redisPassword] = SandboxStandInStep(system: "Redis", expected: "mode acl or requirepass; phase add or remove-old",
                                                         setup: sandbox) { step in
            switch (step.text("mode") ?? "acl", step.text("phase") ?? "add") {
            case ("acl", "add"): .applyNew(replacesOld: false)
            case ("acl", "remove-old"): .retireOld(.revoked)
            case ("requirepass", "add"): .applyNew(replacesOld: true)
            default: nil
            }
        }
        wiring.checks[.redisLogin] = sandbox.credentialCheck("Redis")
    }
}
