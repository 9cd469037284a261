// defineHandler and the context every handler receives (DESIGN §3). Handlers are
// stateless: all they need arrives through ctx, and they return a value or a promise.

import type { EventName, PayloadOf, ResultOf } from "./catalog.ts";
import type { Logger } from "../log/logger.ts";

/** Services the engine lends to handlers; the server fills it once at start-up. */
export type Services = {
  readonly db: import("../db/client.ts").Db;
  readonly config: import("../config/schema.ts").Config;
  readonly now: () => number;
  /** In-process mailbox change notifications: publish after a write is durable. */
  readonly hub: import("../store/hub.ts").MailboxHub;
  /** The configured DNS resolver (config `dns`); tests inject their own. */
  readonly dns: import("../dns/resolver.ts").DnsResolver;
};

export type HandlerContext = Services & {
  readonly log: Logger;
  /** Aborted when the handler's deadline passes; pass it on to fetch/DNS/sockets. */
  readonly signal: AbortSignal;
  /**
   * Per-transaction scratch shared along the chain, so a later handler can read what an
   * earlier one found (e.g. an SPF result for DMARC). Keys are the writer's handler name.
   */
  readonly results: Map<string, unknown>;
};

export type Handler<E extends EventName = EventName> = {
  readonly event: E;
  readonly name: string;
  /** Deadline in ms; past it the handler counts as failed (451 4.3.0). */
  readonly timeoutMs?: number;
  handle(event: PayloadOf<E>, ctx: HandlerContext): ResultOf<E> | Promise<ResultOf<E>>;
};

/** Any handler, whatever its event: what registration lists hold. */
export type AnyHandler = { [E in EventName]: Handler<E> }[EventName];

export function defineHandler<E extends EventName>(h: Handler<E>): Handler<E> {
  if (!h.name || typeof h.handle !== "function") throw new TypeError("a handler needs a name and handle()");
  return h;
}
