// The event bus: ordering, first decisive verdict, providers, deadlines, failures, trace.

import { describe, expect, test } from "bun:test";
import { Bus, HandlerFailure, type DispatchScope } from "../../src/events/bus.ts";
import { defineHandler, type AnyHandler, type Services } from "../../src/events/handler.ts";
import { TraceBuffer } from "../../src/events/trace.ts";
import { verdict } from "../../src/events/verdict.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { SessionInfo } from "../../src/events/catalog.ts";

const session: SessionInfo = {
  id: "s1", protocol: "smtp", role: "mx", remoteAddress: "192.0.2.1", remotePort: 1, localAddress: "127.0.0.1",
  localPort: 25, tls: null, helo: "client.test", authUser: null,
};
const services = { db: null, config: null, now: () => 1000 } as unknown as Services;

function setup(handlers: AnyHandler[]) {
  const lines: string[] = [];
  const log = createLogger({ sink: (l) => lines.push(l) });
  const bus = new Bus(handlers, services, log);
  const scope: DispatchScope = { log, results: new Map(), trace: new TraceBuffer() };
  return { bus, scope, lines };
}

const helo = (name: string, fn: () => ReturnType<typeof verdict.continue> | Promise<ReturnType<typeof verdict.continue>>, timeoutMs?: number) =>
  defineHandler({ event: "smtp.helo", name, timeoutMs, handle: fn });

describe("policy chains", () => {
  test("run in order; continue passes on; the first decisive verdict wins", async () => {
    const calls: string[] = [];
    const { bus, scope } = setup([
      helo("a", () => (calls.push("a"), verdict.continue())),
      helo("b", () => (calls.push("b"), verdict.reject(550, "5.7.1", "no"))),
      helo("c", () => (calls.push("c"), verdict.accept())),
    ]);
    const v = await bus.policy("smtp.helo", { session, verb: "EHLO", domain: "x" }, scope);
    expect(v).toEqual({ kind: "reject", reply: { code: 550, enhanced: "5.7.1", text: "no" } });
    expect(calls).toEqual(["a", "b"]);
    expect(scope.trace.entries.map((e) => [e.handler, e.verdict, e.code])).toEqual([["a", "continue", null], ["b", "reject", 550]]);
  });

  test("header edits of every verdict up to the decisive one are merged in order; notes reach the trace", async () => {
    const { bus, scope } = setup([
      helo("a", () => verdict.continue("spf=pass", { add: [{ name: "X-A", value: "1" }], remove: [{ name: "X-Old" }] })),
      helo("b", () => verdict.quarantine("spam", { add: [{ name: "X-B", value: "2" }] })),
      helo("c", () => verdict.continue(undefined, { add: [{ name: "X-C", value: "never" }] })),
    ]);
    const v = await bus.policy("smtp.helo", { session, verb: "EHLO", domain: "x" }, scope);
    expect(v).toEqual({ kind: "quarantine", reason: "spam", headers: { add: [{ name: "X-A", value: "1" }, { name: "X-B", value: "2" }], remove: [{ name: "X-Old" }] } });
    expect(scope.trace.entries.map((e) => [e.handler, e.text])).toEqual([["a", "spf=pass"], ["b", "spam"]]);
  });

  test("a reject after a header edit carries no edits", async () => {
    const { bus, scope } = setup([
      helo("a", () => verdict.continue(undefined, { add: [{ name: "X-A", value: "1" }] })),
      helo("b", () => verdict.reject(550, "5.7.1", "no")),
    ]);
    expect(await bus.policy("smtp.helo", { session, verb: "EHLO", domain: "x" }, scope)).toEqual({ kind: "reject", reply: { code: 550, enhanced: "5.7.1", text: "no" } });
  });

  test("no handler at all means continue", async () => {
    const { bus, scope } = setup([]);
    expect(await bus.policy("smtp.connect", { session }, scope)).toEqual({ kind: "continue" });
  });

  test("a throwing handler is a 451 4.3.0 tempfail, logged with its name, and stops the chain", async () => {
    let after = false;
    const { bus, scope, lines } = setup([
      helo("boom", () => {
        throw new Error("kaput");
      }),
      helo("after", () => ((after = true), verdict.continue())),
    ]);
    const v = await bus.policy("smtp.helo", { session, verb: "EHLO", domain: "x" }, scope);
    expect(v).toEqual({ kind: "tempfail", reply: { code: 451, enhanced: "4.3.0", text: "Temporary local problem, please try again later" } });
    expect(after).toBe(false);
    expect(lines.some((l) => l.includes('"handler":"boom"') && l.includes('"level":"error"'))).toBe(true);
    expect(scope.trace.entries[0]).toMatchObject({ handler: "boom", verdict: "error", code: 451 });
  });

  test("a handler past its deadline is a tempfail and its signal is aborted", async () => {
    let signal: AbortSignal | null = null;
    const slow = defineHandler({
      event: "smtp.helo",
      name: "slow",
      timeoutMs: 30,
      handle: (_e, ctx) => {
        signal = ctx.signal;
        return new Promise(() => {});
      },
    });
    const { bus, scope } = setup([slow]);
    const v = await bus.policy("smtp.helo", { session, verb: "EHLO", domain: "x" }, scope);
    expect(v.kind).toBe("tempfail");
    expect(signal!.aborted).toBe(true);
    expect(scope.trace.entries[0]).toMatchObject({ handler: "slow", verdict: "timeout" });
  });

  test("a handler that returns nothing is a failure, never a silent accept", async () => {
    const { bus, scope } = setup([defineHandler({ event: "smtp.helo", name: "empty", handle: () => undefined as never })]);
    expect((await bus.policy("smtp.helo", { session, verb: "EHLO", domain: "x" }, scope)).kind).toBe("tempfail");
  });

  test("results are shared along the chain", async () => {
    const { bus, scope } = setup([
      defineHandler({ event: "smtp.helo", name: "w", handle: (_e, ctx) => (ctx.results.set("w", 42), verdict.continue()) }),
      defineHandler({ event: "smtp.helo", name: "r", handle: (_e, ctx) => (ctx.results.get("w") === 42 ? verdict.reject(550, "5.0.0", "saw it") : verdict.continue()) }),
    ]);
    expect((await bus.policy("smtp.helo", { session, verb: "EHLO", domain: "x" }, scope)).kind).toBe("reject");
  });
});

describe("providers", () => {
  test("the last registered provider answers (a user's handler replaces the built-in)", async () => {
    const { bus, scope } = setup([
      defineHandler({ event: "address.resolve", name: "builtin", handle: () => ({ kind: "unknown" as const }) }),
      defineHandler({ event: "address.resolve", name: "mine", handle: () => ({ kind: "remote" as const }) }),
    ]);
    expect(await bus.provide("address.resolve", { session, address: "a@b" }, scope)).toEqual({ kind: "remote" });
    expect(bus.handlersFor("address.resolve")).toEqual(["mine"]);
  });

  test("a failing provider throws HandlerFailure; a missing one too", async () => {
    const { bus, scope } = setup([defineHandler({ event: "auth.verify", name: "bad", handle: async () => { throw new Error("db down"); } })]);
    await expect(bus.provide("auth.verify", { session, mechanism: "PLAIN", username: "u", password: "p" }, scope)).rejects.toBeInstanceOf(HandlerFailure);
    await expect(bus.provide("auth.scram", { session, username: "u" }, scope)).rejects.toBeInstanceOf(HandlerFailure);
  });
});

describe("notifications and registration", () => {
  test("notification errors are logged and never thrown", async () => {
    const { bus, lines } = setup([defineHandler({ event: "smtp.disconnect", name: "n", handle: () => { throw new Error("x"); } })]);
    await bus.notify("smtp.disconnect", { session });
    expect(lines.some((l) => l.includes('"handler":"n"'))).toBe(true);
  });

  test("duplicate names and unknown events are refused at construction", () => {
    expect(() => setup([helo("a", () => verdict.continue()), helo("a", () => verdict.continue())])).toThrow(/two handlers/);
    expect(() => setup([{ event: "smtp.nope", name: "x", handle: () => verdict.continue() } as unknown as AnyHandler])).toThrow(/unknown event/);
  });
});
