// Greylisting's pure parts: the triplet key, the whitelist tests, and the handler's options.

import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { greylist, GreylistOptions } from "../../handlers/greylist.ts";
import { parseConfig } from "../../src/config/load.ts";
import { dmarcPassed, senderInDomains, tripletKey } from "../../src/trust/greylist-triplet.ts";

describe("tripletKey", () => {
  test.each([
    ["192.0.2.77", "A@Sender.Test", "Alice@Example.test", "192.0.2.0/24|a@sender.test|alice@example.test"],
    ["192.0.2.1", "", "bob@example.test", "192.0.2.0/24||bob@example.test"],
    ["2001:db8:1:2:3:4:5:6", "a@x.test", "b@y.test", "2001:db8:1:2:0:0:0:0/64|a@x.test|b@y.test"],
  ])("%s %s %s", (ip, from, to, want) => expect(tripletKey(ip, from, to)).toBe(want));
  test("prefix lengths are configurable", () => {
    expect(tripletKey("192.0.2.77", "a@x", "b@y", 32)).toBe("192.0.2.77/32|a@x|b@y");
  });
});

test.each([
  ["news@friendly.test", true],
  ["news@lists.Friendly.TEST", true],
  ["news@unfriendly.test", false],
  ["friendly.test", false],
  ["", false],
])("senderInDomains %s → %p", (from, want) => expect(senderInDomains(from, ["friendly.test"])).toBe(want));

test.each([
  [{ dmarc: "pass" }, true],
  [{ dmarc: { result: "pass" } }, true],
  [{ dmarc: { status: { result: "pass" } } }, true],
  [{ dmarc: { result: "fail" } }, false],
  [{ dmarc: "none" }, false],
  [undefined, false],
  ["pass", false],
])("dmarcPassed %j → %p", (found, want) => expect(dmarcPassed(found)).toBe(want));

describe("options", () => {
  const config = parseConfig({});
  test("defaults: RCPT stage, 5 min delay, 24 h retry window, 35 days expiry", () => {
    expect(v.parse(GreylistOptions, {})).toMatchObject({ stage: "rcpt", delayMs: 300_000, retryWindowMs: 86_400_000, expiryMs: 35 * 86_400_000, dmarc: true });
    expect(greylist({}, config).map((h) => [h.event, h.name])).toEqual([["smtp.rcpt", "greylist"]]);
    expect(greylist({ stage: "data" }, config).map((h) => h.event)).toEqual(["smtp.data"]);
  });
  test("false switches it off", () => expect(greylist(false, config)).toEqual([]));
  test("bad options throw an error naming the handler", () => {
    for (const bad of [{ stage: "mail" }, { delayMs: -1 }, { delayMs: 600_000, retryWindowMs: 300_000 }, { dleayMs: 1 }, { networks: ["nope"] }]) {
      expect(() => greylist(bad, config)).toThrow(/greylist/);
    }
  });
});
