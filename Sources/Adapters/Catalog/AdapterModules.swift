import AegisAnthropic
import AegisAWS
import AegisAzure
import AegisCore
import AegisGCP
import AegisHTTPChecks
import AegisKubernetes
import AegisOkta
import AegisOnePassword
import AegisOpenAI
import AegisPagerDuty
import AegisPostgres
import AegisRedis

/// Every adapter module this build has: one line each. The type catalog the inventory is loaded
/// against, and the production wiring, are both made from this list and nothing else, so what a
/// plan cannot run here is always derived from the registrations.
public enum AdapterModules {
    public static var all: [any AdapterModule.Type] {
        [
            AWSModule.self,
            KubernetesModule.self,
            PostgresModule.self,
            RedisModule.self,
            HTTPChecksModule.self,
            OktaModule.self,
            AnthropicModule.self,
            OpenAIModule.self,
            EntraModule.self,
            OnePasswordModule.self,
            GCPModule.self,
            PagerDutyModule.self,
        ]
    }

    /// The core's generic types plus every module's.
    public static var catalog: TypeCatalog {
        var catalog = TypeCatalog.core
        for module in all { module.declare(into: &catalog) }
        return catalog
    }

    /// `AEGIS_ENV=production`: every module wired from the settings.
    public static func wire(_ setup: AdapterSetup) -> AdapterWiring {
        var wiring = AdapterWiring()
        for module in all { module.wire(setup, into: &wiring) }
        return wiring
    }

    /// `AEGIS_ENV=local`: every module's stand-ins, and the sandbox's deferred retirement.
    public static func wireSandbox(_ sandbox: SandboxSetup) -> AdapterWiring {
        var wiring = AdapterWiring()
        for module in all { module.wireSandbox(sandbox, into: &wiring) }
        wiring.deferredActions[SandboxRetireAction.name] = SandboxRetireAction(credentials: sandbox.credentials)
        return wiring
    }
}
