import AegisCore
import AegisProviderHTTP
import AsyncHTTPClient
import Foundation
import Logging

/// PagerDuty paging on escalation (Events API v2), when `PAGERDUTY_ROUTING_KEY` (or
/// `PAGERDUTY_ROUTING_KEY_FILE`, the integration key of an Events API v2 integration) is set.
/// `PAGERDUTY_EVENTS_URL` overrides `https://events.pagerduty.com` (https only, or http to a
/// loopback host), `PAGERDUTY_CA_BUNDLE` names the only CAs to trust for it. Without a routing key
/// escalations go to Slack only, as before; the module declares no step types.
public enum PagerDutyModule: AdapterModule {
    public static func declare(into catalog: inout TypeCatalog) {}

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        do throws(AdapterSetupProblem) {
            guard let routingKey = try setup.secret("PAGERDUTY_ROUTING_KEY") else { return }
            let base = try ProviderHTTP.validatedBase(try setup.url("PAGERDUTY_EVENTS_URL") ?? PagerDutyEvents.defaultBase,
                                                      setting: "PAGERDUTY_EVENTS_URL")
            let http = try ProviderHTTP.makeClient(setup, caBundleSetting: "PAGERDUTY_CA_BUNDLE")
            wiring.closers.append { try? await http.shutdown() }
            let events = PagerDutyEvents(base: base, routingKey: routingKey, http: http, timeout: setup.timeout)
            wiring.deferredActions[PagerDutyEventAction.name] = PagerDutyEventAction(events: events, state: setup.state, logger: setup.logger)
            wiring.eventSinks.append(PagerDutyPager(state: setup.state, clock: setup.clock, logger: setup.logger))
        } catch {
            // Paging is configured but unusable: refuse to start rather than escalate to Slack only.
            wiring.invalidSettings.append(error)
        }
    }
}
