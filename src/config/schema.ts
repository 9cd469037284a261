// The configuration schema (valibot, DESIGN §8: validate at the edges). A schema and its
// inferred type share one name. Defaults follow DESIGN §9: loopback, unprivileged ports.

import * as v from "valibot";
import type { AnyHandler } from "../events/handler.ts";

export const ListenerRole = v.picklist(["mx", "submission", "submissions", "lmtp", "imap", "imaps", "pop3", "pop3s"]);
export type ListenerRole = v.InferOutput<typeof ListenerRole>;

export const Listener = v.object({
  role: ListenerRole,
  host: v.optional(v.string(), "127.0.0.1"),
  port: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535)),
  /** Defaults by role: submissions, imaps, pop3s → implicit TLS; the others offer STARTTLS/STLS. */
  tls: v.optional(v.picklist(["none", "starttls", "implicit"])),
});
export type Listener = v.InferOutput<typeof Listener>;

export const DEFAULT_LISTENERS: Listener[] = [
  { role: "mx", host: "127.0.0.1", port: 2525 },
  { role: "submission", host: "127.0.0.1", port: 2587 },
  { role: "submissions", host: "127.0.0.1", port: 2465 },
  { role: "lmtp", host: "127.0.0.1", port: 2424 },
  { role: "imap", host: "127.0.0.1", port: 2143 },
  { role: "imaps", host: "127.0.0.1", port: 2993 },
  { role: "pop3", host: "127.0.0.1", port: 2110 },
  { role: "pop3s", host: "127.0.0.1", port: 2995 },
];

const CertPair = v.object({ cert: v.string(), key: v.string() });

export const Limits = v.object({
  /** SIZE (RFC 1870); over it: 552 5.3.4. */
  maxMessageBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1024)), 50 * 1024 * 1024),
  /** RFC 5321 §4.5.3.1.8 asks for at least 100; over it: 452 4.5.3. */
  maxRecipients: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100)), 100),
  /** RFC 5321 §4.5.3.1.4: 512 octets, plus room for ESMTP parameters (§4.5.3.1.4 allows it). */
  maxCommandLine: v.optional(v.pipe(v.number(), v.integer(), v.minValue(512)), 2048),
  /** RFC 5321 §4.5.3.1.6: 1000 octets including CRLF. */
  maxTextLine: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1000)), 1000),
  /** Header block cap (before the first empty line). */
  maxHeaderBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1024)), 1024 * 1024),
  maxConnections: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1000),
  maxConnectionsPerIp: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 20),
  /** RFC 5321 §4.5.3.2.7: the server waits at least 5 minutes for a command. */
  commandTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100)), 5 * 60_000),
  /** RFC 5321 §4.5.3.2.6: data block and termination waits (3 and 10 minutes). */
  dataTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100)), 10 * 60_000),
  /** Bad or unknown commands before the session is closed (421 4.7.0). */
  maxErrors: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 10),
  /** AUTH failures before disconnect; each failure waits longer (1 s, 2 s, 4 s ...). */
  maxAuthFailures: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 3),
  authFailureDelayMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 1000),
});
export type Limits = v.InferOutput<typeof Limits>;

export const ImapSettings = v.object({
  /** RFC 9051 §5.4: the autologout timer is at least 30 minutes once authenticated. */
  idleTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1000)), 30 * 60_000),
  /** Before authentication a shorter timer is allowed. */
  preAuthTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100)), 60_000),
  /** "* OK Still here" during IDLE, inside common NAT timeouts (often 5 minutes). */
  keepaliveMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(50)), 2 * 60_000),
  /** APPENDLIMIT (RFC 7889) and the largest literal after login. */
  appendLimit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1024)), 50 * 1024 * 1024),
  maxConnections: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 20_000),
  maxConnectionsPerIp: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 100),
});
export type ImapSettings = v.InferOutput<typeof ImapSettings>;

export const Pop3Settings = v.object({
  /** RFC 1939 §3: the inactivity autologout timer is at least 10 minutes. */
  idleTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100)), 10 * 60_000),
  /** EXPIRE (RFC 2449 §6.7): "NEVER", or the minimum retention in days; 0 deletes retrieved messages at QUIT. */
  expire: v.optional(v.union([v.literal("NEVER"), v.pipe(v.number(), v.integer(), v.minValue(0))]), "NEVER"),
  maxConnections: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1000),
  maxConnectionsPerIp: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 20),
});
export type Pop3Settings = v.InferOutput<typeof Pop3Settings>;

const Ms = v.pipe(v.number(), v.integer(), v.minValue(0));

/** A smarthost (RFC 6409 submission to a provider's relay) instead of direct MX delivery. */
export const Relay = v.object({
  host: v.string(),
  port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)), 587),
  /** implicit: TLS from the first byte (465); starttls: STARTTLS required, never cleartext. */
  tls: v.optional(v.picklist(["implicit", "starttls"]), "starttls"),
  auth: v.optional(v.object({ user: v.string(), pass: v.string() })),
});
export type Relay = v.InferOutput<typeof Relay>;

export const DeliverySettings = v.object({
  /** Run the outbound queue worker in this process. */
  enabled: v.optional(v.boolean(), true),
  /** How often the worker looks for due entries when nothing woke it. */
  pollMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(10)), 1000),
  /** How long a claimed recipient stays leased; renewed while its delivery runs. */
  leaseMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1000)), 120_000),
  /** TCP port of remote MX hosts (RFC 5321 §4.5.4: 25; tests point it elsewhere). */
  port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)), 25),
  /** Source address for outbound connections (IPv4 and IPv6). */
  sourceAddress: v.optional(v.string()),
  sourceAddress6: v.optional(v.string()),
  concurrency: v.optional(
    v.object({
      global: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 100),
      perDomain: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 20),
      perHost: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 10),
    }),
    {},
  ),
  /** Recipients sent in one SMTP transaction (RFC 5321 §4.5.3.1.8: servers take at least 100). */
  maxRecipientsPerTransaction: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 100),
  /** Postfix-like: first retry after 5 min, doubling up to ~1 h between tries, give up after 5 days. */
  retry: v.optional(
    v.object({
      firstMs: v.optional(Ms, 5 * 60_000),
      maxMs: v.optional(Ms, 60 * 60_000),
      factor: v.optional(v.pipe(v.number(), v.minValue(1)), 2),
      lifetimeMs: v.optional(Ms, 5 * 24 * 60 * 60_000),
      /** Send one "delayed" DSN (RFC 3464) after this long in the queue; 0 = never. */
      delayDsnAfterMs: v.optional(Ms, 4 * 60 * 60_000),
    }),
    {},
  ),
  timeouts: v.optional(
    v.object({
      connectMs: v.optional(Ms, 30_000),
      /** RFC 5321 §4.5.3.2: 5 minutes for the greeting and most replies, 10 after the final dot. */
      greetingMs: v.optional(Ms, 5 * 60_000),
      commandMs: v.optional(Ms, 5 * 60_000),
      dataDoneMs: v.optional(Ms, 10 * 60_000),
    }),
    {},
  ),
  tls: v.optional(
    v.object({
      /** Extra trusted CA certificates (PEM text or a file path) for SMTP and MTA-STS. */
      ca: v.optional(v.string()),
      /** Apply MTA-STS (RFC 8461) policies of recipient domains. */
      mtaSts: v.optional(v.boolean(), true),
    }),
    {},
  ),
  /** Send everything through this smarthost instead of MX delivery. */
  relay: v.optional(Relay),
  /** Per sender domain smarthosts; wins over `relay`. */
  relayByDomain: v.optional(v.record(v.string(), Relay), {}),
});
export type DeliverySettings = v.InferOutput<typeof DeliverySettings>;

/**
 * Inbound trust and anti-abuse (issue 6). `trustedNetworks` and `authservId` are shared; every
 * other key holds one built-in handler's options (`false` switches it off), validated by that
 * handler's own valibot schema when the pipeline is built at start-up.
 */
export const TrustSettings = v.looseObject({
  /** Clients here skip the inbound checks (like Postfix's mynetworks): loopback by default. */
  trustedNetworks: v.optional(v.array(v.string()), ["127.0.0.0/8", "::1/128"]),
  /** The authserv-id of our Authentication-Results fields (RFC 8601 §2.5); default: hostname. */
  authservId: v.optional(v.string()),
});
export type TrustSettings = v.InferOutput<typeof TrustSettings>;

export const Config = v.object({
  hostname: v.optional(v.string(), "localhost"),
  dataDir: v.optional(v.string(), "./data"),
  database: v.optional(
    v.object({ url: v.optional(v.string()), authToken: v.optional(v.string()) }),
    {},
  ),
  listeners: v.optional(v.array(Listener), DEFAULT_LISTENERS),
  tls: v.optional(
    v.object({ cert: v.optional(v.string()), key: v.optional(v.string()), sni: v.optional(v.record(v.string(), CertPair)) }),
    {},
  ),
  limits: v.optional(Limits, {}),
  imap: v.optional(ImapSettings, {}),
  pop3: v.optional(Pop3Settings, {}),
  delivery: v.optional(DeliverySettings, {}),
  trust: v.optional(TrustSettings, {}),
  /** The DNS resolver of outbound delivery and the trust handlers (ctx.dns). */
  dns: v.optional(
    v.object({
      /** Resolver addresses ("127.0.0.1", "127.0.0.1:5353", "[::1]:53"); empty = the system's. */
      servers: v.optional(v.array(v.string()), []),
      timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(10)), 5000),
      tries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 2),
      /** Positive answers cached for their TTL (at most an hour); 0 = no cache. */
      cacheEntries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 10_000),
    }),
    {},
  ),
  auth: v.optional(
    v.object({
      /** DESIGN §5: AUTH over cleartext only where explicitly allowed, and only from loopback. */
      allowPlaintextOnLoopback: v.optional(v.boolean(), false),
      /** Authenticated senders may use only their own address and aliases in MAIL FROM. */
      enforceSender: v.optional(v.boolean(), true),
    }),
    {},
  ),
  /**
   * Handlers: an array is appended after the built-in pipeline; a function receives the
   * built-in list and returns the full ordered list (to reorder or remove built-ins).
   */
  handlers: v.optional(
    v.union([
      v.array(v.custom<AnyHandler>((h) => typeof h === "object" && h !== null && "handle" in h)),
      v.custom<(defaults: AnyHandler[]) => AnyHandler[]>((f) => typeof f === "function"),
    ]),
    [],
  ),
  log: v.optional(
    v.object({
      level: v.optional(v.picklist(["debug", "info", "warn", "error"]), "info"),
      format: v.optional(v.picklist(["json", "text"])),
    }),
    {},
  ),
});
export type Config = v.InferOutput<typeof Config>;
export type ConfigInput = v.InferInput<typeof Config>;

/** `defineConfig` for hikyaku.config.ts: typed input, validated at load. */
export function defineConfig(c: ConfigInput): ConfigInput {
  return c;
}
