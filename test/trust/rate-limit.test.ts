// The rate-limit handler's options and wiring (what it registers for which options).

import { expect, test } from "bun:test";
import * as v from "valibot";
import { ipKey, rateLimit, RateLimitOptions } from "../../handlers/rate-limit.ts";
import { parseConfig } from "../../src/config/load.ts";

const config = parseConfig({});

test("generous defaults; per-user AUTH lockout off", () => {
  expect(v.parse(RateLimitOptions, {})).toEqual({
    ip: {
      connections: { limit: 60, windowMs: 60_000 },
      messages: { limit: 1000, windowMs: 3_600_000 },
      recipients: { limit: 5000, windowMs: 3_600_000 },
      authFailures: { limit: 10, windowMs: 900_000 },
    },
    user: { messages: { limit: 500, windowMs: 3_600_000 }, recipients: { limit: 2000, windowMs: 3_600_000 }, authFailures: false },
  });
});

test("registers the AUTH handlers only while an AUTH failure limit is on", () => {
  const names = (o: unknown) => rateLimit(o, config).map((h) => h.name);
  expect(names({})).toEqual([
    "rate-limit-connect", "rate-limit-mail", "rate-limit-rcpt",
    "rate-limit-auth-failed", "rate-limit-auth", "rate-limit-imap-login", "rate-limit-pop3-login",
  ]);
  expect(names({ ip: { authFailures: false } })).toEqual(["rate-limit-connect", "rate-limit-mail", "rate-limit-rcpt"]);
  expect(rateLimit(false, config)).toEqual([]);
});

test("bad options throw an error naming the handler", () => {
  for (const bad of [{ ip: { connections: { limit: 0, windowMs: 60_000 } } }, { ip: { connections: { limit: 5 } } }, { user: { connections: false } }, { ipp: {} }]) {
    expect(() => rateLimit(bad, config)).toThrow(/rate-limit/);
  }
});

test.each([
  ["192.0.2.7", "192.0.2.7"],
  ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2:0:0:0:0/64"],
])("per-IP identity of %s is %s", (ip, want) => expect(ipKey(ip)).toBe(want));
