import { describe, expect, test } from "bun:test";
import { clientNetwork, networkList } from "../../src/trust/networks.ts";

describe("networkList", () => {
  const l = networkList(["127.0.0.0/8", "::1/128", "2001:db8::/32", "192.0.2.7"]);
  test.each([
    ["127.0.0.1", true],
    ["127.255.1.2", true],
    ["::ffff:127.0.0.1", true],
    ["::1", true],
    ["2001:db8:1::5", true],
    ["2001:db9::1", false],
    ["192.0.2.7", true],
    ["192.0.2.8", false],
    ["10.0.0.1", false],
    ["not-an-ip", false],
  ])("%s → %p", (ip, want) => expect(l.has(ip)).toBe(want));
  test("bad networks throw", () => {
    for (const bad of ["10.0.0.0/33", "x/8", "10.0.0.0/", "::/129", "10.0.0.0/8x"]) expect(() => networkList([bad])).toThrow();
  });
});

describe("clientNetwork", () => {
  test.each([
    ["192.0.2.77", "192.0.2.0/24"],
    ["::ffff:192.0.2.77", "192.0.2.0/24"],
    ["2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb:0:0:0:0/64"],
    ["2001:db8::1", "2001:db8:0:0:0:0:0:0/64"],
  ])("%s → %s", (ip, net) => expect(clientNetwork(ip)).toBe(net));
});
