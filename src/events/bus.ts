// The event bus (DESIGN §3): ordered policy chains, single providers, notifications
// after commit. Every handler runs under a deadline; a throw or timeout is a tempfail.

import { EVENT_KINDS, type EventName, type NotificationEvent, type PayloadOf, type PolicyEvent, type ProviderEvent, type ResultOf } from "./catalog.ts";
import type { AnyHandler, Handler, HandlerContext, Services } from "./handler.ts";
import { HANDLER_FAILURE, type HeaderField, type Verdict } from "./verdict.ts";
import { TraceBuffer, traceFromVerdict } from "./trace.ts";
import type { Logger } from "../log/logger.ts";

export const DEFAULT_HANDLER_TIMEOUT_MS = 10_000;

/** What one dispatch belongs to: a session transaction, with its shared results and trace. */
export type DispatchScope = {
  readonly log: Logger;
  readonly results: Map<string, unknown>;
  readonly trace: TraceBuffer;
};

export class HandlerFailure extends Error {
  readonly code = "HANDLER_FAILURE";
  constructor(readonly handler: string, readonly reason: "timeout" | "error", cause?: unknown) {
    super(`handler ${handler} failed: ${reason}`, { cause });
  }
}

export class Bus {
  readonly #byEvent = new Map<EventName, AnyHandler[]>();

  constructor(handlers: readonly AnyHandler[], private readonly services: Services, private readonly log: Logger) {
    const names = new Set<string>();
    for (const h of handlers) {
      if (!(h.event in EVENT_KINDS)) throw new TypeError(`handler ${h.name}: unknown event ${h.event}`);
      if (names.has(h.name)) throw new TypeError(`two handlers are named ${h.name}`);
      names.add(h.name);
      const list = this.#byEvent.get(h.event) ?? [];
      list.push(h);
      this.#byEvent.set(h.event, list);
    }
  }

  /** Registered handler names per event, in order (for the README/trace tooling). */
  handlersFor(event: EventName): string[] {
    const list = this.#byEvent.get(event) ?? [];
    return EVENT_KINDS[event] === "provider" ? list.slice(-1).map((h) => h.name) : list.map((h) => h.name);
  }

  /**
   * Policy chain: `continue` passes on, the first decisive verdict wins. Header edits of
   * every verdict up to and including the decisive one are merged, in chain order, into the
   * returned verdict (when it delivers: continue, accept, quarantine).
   */
  async policy<E extends PolicyEvent>(event: E, payload: PayloadOf<E>, scope: DispatchScope): Promise<Verdict> {
    const add: HeaderField[] = [];
    const remove: { name: string; pattern?: string }[] = [];
    const withEdits = (v: Verdict): Verdict => {
      if (add.length === 0 && remove.length === 0) return v;
      if (v.kind !== "continue" && v.kind !== "accept" && v.kind !== "quarantine") return v;
      return { ...v, headers: { add, remove } };
    };
    for (const h of this.#byEvent.get(event) ?? []) {
      const t0 = performance.now();
      let v: Verdict;
      try {
        v = (await this.#run(h as Handler<E>, payload, scope)) as Verdict;
        if (!v || typeof v !== "object" || !("kind" in v)) throw new TypeError("handler returned no verdict");
      } catch (err) {
        const failure = err instanceof HandlerFailure ? err : new HandlerFailure(h.name, "error", err);
        this.#logFailure(scope, event, failure);
        scope.trace.add({ ...traceFromVerdict(event, h.name, HANDLER_FAILURE, performance.now() - t0, this.services.now()), verdict: failure.reason === "timeout" ? "timeout" : "error" });
        return HANDLER_FAILURE;
      }
      scope.trace.add(traceFromVerdict(event, h.name, v, performance.now() - t0, this.services.now()));
      if ("headers" in v && v.headers) {
        add.push(...(v.headers.add ?? []));
        remove.push(...(v.headers.remove ?? []));
      }
      if (v.kind !== "continue") return withEdits(v);
    }
    return withEdits({ kind: "continue" });
  }

  /**
   * Provider: exactly one handler answers — the last registered, so a user's handler in
   * the config replaces the built-in one. Throws HandlerFailure; callers map it to 451.
   */
  async provide<E extends ProviderEvent>(event: E, payload: PayloadOf<E>, scope: DispatchScope): Promise<ResultOf<E>> {
    const h = (this.#byEvent.get(event) ?? []).at(-1) as Handler<E> | undefined;
    if (!h) throw new HandlerFailure(`<no provider for ${event}>`, "error");
    const t0 = performance.now();
    try {
      const r = await this.#run(h, payload, scope);
      scope.trace.add({ event, handler: h.name, verdict: "provided", code: null, enhanced: null, text: null, durationMs: performance.now() - t0, at: this.services.now() });
      return r;
    } catch (err) {
      const failure = err instanceof HandlerFailure ? err : new HandlerFailure(h.name, "error", err);
      this.#logFailure(scope, event, failure);
      scope.trace.add({ event, handler: h.name, verdict: failure.reason, code: 451, enhanced: "4.3.0", text: null, durationMs: performance.now() - t0, at: this.services.now() });
      throw failure;
    }
  }

  /** Notifications run after commit; their errors are logged, never shown to a client. */
  notify<E extends NotificationEvent>(event: E, payload: PayloadOf<E>, log: Logger = this.log): Promise<void> {
    const scope: DispatchScope = { log, results: new Map(), trace: new TraceBuffer() };
    const all = (this.#byEvent.get(event) ?? []).map(async (h) => {
      try {
        await this.#run(h as Handler<E>, payload, scope);
      } catch (err) {
        this.#logFailure(scope, event, err instanceof HandlerFailure ? err : new HandlerFailure(h.name, "error", err));
      }
    });
    return Promise.all(all).then(() => undefined);
  }

  async #run<E extends EventName>(h: Handler<E>, payload: PayloadOf<E>, scope: DispatchScope): Promise<ResultOf<E>> {
    const ms = h.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
    const ac = new AbortController();
    const ctx: HandlerContext = { ...this.services, log: scope.log.child({ handler: h.name }), signal: ac.signal, results: scope.results };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        ac.abort(new HandlerFailure(h.name, "timeout"));
        reject(new HandlerFailure(h.name, "timeout"));
      }, ms);
    });
    try {
      return await Promise.race([Promise.resolve().then(() => h.handle(payload, ctx)), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  #logFailure(scope: DispatchScope, event: string, f: HandlerFailure): void {
    scope.log.error("handler failed", { event, handler: f.handler, reason: f.reason, error: f.cause ?? null });
  }
}
