// handlers/mod.ts: which trust handlers config.trust switches on, in which order, with
// validated options.

import { describe, expect, test } from "bun:test";
import { defaultHandlers, trustHandlers } from "../../handlers/mod.ts";
import { parseConfig } from "../../src/config/load.ts";

const names = (trust: Record<string, unknown>) => trustHandlers(parseConfig({ trust })).map((h) => `${h.event}:${h.name}`);

describe("trust pipeline", () => {
  test("defaults: rate limits, HELO, iprev, SPF, DKIM/DMARC/ARC, A-R, DMARC policy; no scanner, no greylisting, no lists", () => {
    const n = names({});
    for (const want of ["smtp.mail:spf", "smtp.data:message-auth", "smtp.data:auth-results", "smtp.data:dmarc-policy", "smtp.mail:fcrdns", "smtp.connect:rate-limit-connect"]) {
      expect(n).toContain(want);
    }
    expect(n.some((x) => /rspamd|spamassassin|clamav|greylist|dnsbl|uribl/.test(x))).toBe(false);
    // A-R is written after the results it reports and before a policy can end the chain.
    const data = n.filter((x) => x.startsWith("smtp.data:"));
    expect(data.indexOf("smtp.data:message-auth")).toBeLessThan(data.indexOf("smtp.data:auth-results"));
    expect(data.indexOf("smtp.data:auth-results")).toBeLessThan(data.indexOf("smtp.data:dmarc-policy"));
  });

  test("false switches a handler off; options switch an optional one on", () => {
    const n = names({ spf: false, greylist: { delayMs: 1000 }, clamav: { host: "127.0.0.1" }, dnsbl: { zones: [{ zone: "zen.example" }] } });
    expect(n.some((x) => x.endsWith(":spf"))).toBe(false);
    expect(n).toContain("smtp.rcpt:greylist");
    expect(n).toContain("smtp.data:clamav");
    expect(n.some((x) => x.endsWith(":dnsbl"))).toBe(true);
    // Scanners run after the DMARC verdict.
    expect(n.indexOf("smtp.data:dmarc-policy")).toBeLessThan(n.indexOf("smtp.data:clamav"));
  });

  test("an unknown key or bad options stop the start with a message naming them", () => {
    expect(() => names({ spff: {} })).toThrow(/config\.trust\.spff/);
    expect(() => names({ spf: { onFail: "explode" } })).toThrow(/spf/i);
  });

  test("the built-in pipeline keeps the providers last", () => {
    const all = defaultHandlers(parseConfig({})).map((h) => h.name);
    expect(all.slice(-2)).toEqual(["local-delivery", "delivery-route"]);
    expect(new Set(all).size).toBe(all.length);
  });
});
