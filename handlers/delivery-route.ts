// Built-in `delivery.route` provider: the smarthost configured for the sender's domain, else
// the global smarthost, else direct MX delivery (RFC 5321 §5.1). A user handler registered
// after it in the config replaces it (providers: the last one answers).

import { defineHandler } from "../src/events/handler.ts";
import type { Route } from "../src/events/catalog.ts";
import { recipientDomain } from "../src/store/queue.ts";

export const deliveryRoute = defineHandler({
  event: "delivery.route",
  name: "delivery-route",
  handle({ mailFrom }, ctx): Route {
    const d = ctx.config.delivery;
    // Bounces (null reverse-path) have no sender domain: they take the global route.
    const relay = (mailFrom ? d.relayByDomain[recipientDomain(mailFrom)] : undefined) ?? d.relay;
    if (!relay) return { kind: "mx" };
    return { kind: "relay", host: relay.host, port: relay.port, tls: relay.tls, ...(relay.auth ? { auth: relay.auth } : {}) };
  },
});
