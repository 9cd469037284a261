// The built-in pipeline, in order (DESIGN §3: explicit registration, no discovery).
// A config's `handlers` array is appended after these; a function may reorder or drop them.
// Handlers of one event run in this order, so the list also orders each event's chain:
//   smtp.connect  rate-limit
//   smtp.mail     rate-limit, helo-check, fcrdns, spf
//   smtp.rcpt     rate-limit, dnsbl, greylist (stage "rcpt")
//   smtp.data     message-auth, auth-results, dmarc-policy, arc-seal, clamav, rspamd, spamassassin, uribl, greylist (stage "data")

import type { AnyHandler } from "../src/events/handler.ts";
import type { Config } from "../src/config/schema.ts";
import { arcSeal } from "./arc-seal.ts";
import { authPassword } from "./auth-password.ts";
import { authResults } from "./auth-results.ts";
import { authScram } from "./auth-scram.ts";
import { clamav } from "./clamav.ts";
import { deliveryRoute } from "./delivery-route.ts";
import { dmarcPolicy } from "./dmarc-policy.ts";
import { dnsbl } from "./dnsbl.ts";
import { fcrdns } from "./fcrdns.ts";
import { greylist } from "./greylist.ts";
import { heloCheck } from "./helo-check.ts";
import { localDelivery } from "./local-delivery.ts";
import { messageAuth } from "./message-auth.ts";
import { rateLimit } from "./rate-limit.ts";
import { resolveAddress } from "./resolve-address.ts";
import { rspamd } from "./rspamd.ts";
import { spamassassin } from "./spamassassin.ts";
import { spf } from "./spf.ts";
import { uribl } from "./uribl.ts";

type TrustFactory = (options: unknown, config: Config) => AnyHandler[];

/**
 * The trust handlers by their `config.trust` key. `on`: built in unless the key is `false`;
 * otherwise only when the key holds options (scanners need an address, greylisting delays
 * every new sender). dnsbl and uribl are on but do nothing until zones are configured.
 */
export const TRUST_HANDLERS: readonly { key: string; factory: TrustFactory; on: boolean }[] = [
  { key: "rateLimit", factory: rateLimit, on: true },
  { key: "heloCheck", factory: heloCheck, on: true },
  { key: "fcrdns", factory: fcrdns, on: true },
  { key: "spf", factory: spf, on: true },
  { key: "dnsbl", factory: dnsbl, on: true },
  { key: "messageAuth", factory: messageAuth, on: true },
  { key: "authResults", factory: authResults, on: true },
  { key: "dmarcPolicy", factory: dmarcPolicy, on: true },
  { key: "arcSeal", factory: arcSeal, on: false },
  { key: "clamav", factory: clamav, on: false },
  { key: "rspamd", factory: rspamd, on: false },
  { key: "spamassassin", factory: spamassassin, on: false },
  { key: "uribl", factory: uribl, on: true },
  { key: "greylist", factory: greylist, on: false },
];

const SHARED_KEYS = new Set(["trustedNetworks", "authservId"]);

/** The trust handlers a configuration switches on, each built with its validated options. */
export function trustHandlers(config: Config): AnyHandler[] {
  const trust = config.trust as Record<string, unknown>;
  const known = new Set(TRUST_HANDLERS.map((t) => t.key));
  for (const key of Object.keys(trust)) {
    if (!SHARED_KEYS.has(key) && !known.has(key)) throw new TypeError(`config.trust.${key}: no such trust handler (known: ${[...known].join(", ")})`);
  }
  return TRUST_HANDLERS.flatMap(({ key, factory, on }) => {
    const options = trust[key];
    if (options === false) return [];
    if (options === undefined || options === true) return on || options === true ? factory({}, config) : [];
    return factory(options, config);
  });
}

/** The built-in pipeline for a configuration. */
export function defaultHandlers(config: Config): AnyHandler[] {
  return [resolveAddress, authPassword, authScram, ...trustHandlers(config), localDelivery, deliveryRoute];
}
