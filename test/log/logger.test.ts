// The logger: record layout (JSON and text), child bindings merged root first with the
// newest winning, level filtering, and children as small shared-method objects.

import { afterEach, beforeEach, expect, setSystemTime, test } from "bun:test";
import { createLogger, silentLogger } from "../../src/log/logger.ts";

const T = "2024-05-06T07:08:09.010Z";
beforeEach(() => setSystemTime(new Date(T)));
afterEach(() => setSystemTime());

function capture(opts: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  return { lines, log: createLogger({ ...opts, sink: (l) => lines.push(l) }) };
}

test("json: t, level, msg, then base, bindings and call fields in that order", () => {
  const { lines, log } = capture({ base: { app: "hikyaku" } });
  log.info("started", { port: 25 });
  expect(lines).toEqual([`{"t":"${T}","level":"info","msg":"started","app":"hikyaku","port":25}`]);
});

test("json: a child's bindings follow its parent's; later ones and call fields override in place", () => {
  const { lines, log } = capture({ base: { app: "hikyaku", proto: "smtp" } });
  const a = log.child({ session: "s1", proto: "imap" });
  const b = a.child({ remote: "192.0.2.1", session: "s2" });
  b.warn("slow", { remote: "198.51.100.7", ms: 12 });
  a.error("failed");
  expect(lines).toEqual([
    `{"t":"${T}","level":"warn","msg":"slow","app":"hikyaku","proto":"imap","session":"s2","remote":"198.51.100.7","ms":12}`,
    `{"t":"${T}","level":"error","msg":"failed","app":"hikyaku","proto":"imap","session":"s1"}`,
  ]);
});

test("json: errors, bytes and bigints are made safe", () => {
  const { lines, log } = capture();
  const err = Object.assign(new Error("boom"), { code: "E_X" });
  log.error("x", { error: err, body: new Uint8Array(3), n: 10n });
  expect(JSON.parse(lines[0]!)).toEqual({ t: T, level: "error", msg: "x", error: { name: "Error", message: "boom", code: "E_X" }, body: "<3 bytes>", n: "10" });
});

test("text: time, level, message, then key=value for bindings and fields", () => {
  const { lines, log } = capture({ format: "text", base: { app: "hikyaku" } });
  log.child({ session: "s1" }).child({ n: 2 }).info("hello", { ok: true, who: "bob" });
  log.debug("hidden");
  log.warn("bare");
  expect(lines).toEqual([`${T} INFO hello app=hikyaku session=s1 n=2 ok=true who=bob`, `${T} WARN bare app=hikyaku`]);
});

test("text: no fields at all, no trailing space", () => {
  const { lines, log } = capture({ format: "text" });
  log.info("plain");
  expect(lines).toEqual([`${T} INFO plain`]);
});

test("levels below the minimum are dropped, for children too", () => {
  const { lines, log } = capture({ level: "warn" });
  const c = log.child({ a: 1 });
  c.debug("d");
  c.info("i");
  c.warn("w");
  log.error("e");
  expect(lines.map((l) => JSON.parse(l).level)).toEqual(["warn", "error"]);
});

test("bindings of a child do not leak into its parent or siblings", () => {
  const { lines, log } = capture();
  const a = log.child({ who: "a" });
  log.child({ who: "b" }).info("b");
  a.info("a");
  log.info("root");
  expect(lines.map((l) => JSON.parse(l).who)).toEqual(["b", "a", undefined]);
});

test("a child owns no functions: its methods are shared (one small object per connection)", () => {
  const { log } = capture();
  const c = log.child({ session: "s1" });
  expect(Object.getOwnPropertyNames(c)).toEqual([]);
  expect(c.info).toBe(log.info);
  expect(c.child({}).child).toBe(log.child);
});

test("silentLogger writes nothing and still makes children", () => {
  expect(() => silentLogger.child({ a: 1 }).error("x")).not.toThrow();
});
