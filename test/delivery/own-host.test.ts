// RFC 5321 §5.1 own-host rule: our own name among the MX hosts drops it and every host of
// equal or worse preference; nothing left → failed 5.4.6 "loops back to myself".

import { describe, expect, test } from "bun:test";
import { mxTargets, withoutSelf, type MxResult, type TlsNeeds } from "../../src/delivery/targets.ts";

const NEEDS: TlsNeeds = { requireTls: false, verifyCert: false };
const mx = (...hosts: [string, number][]): MxResult => ({
  kind: "hosts",
  implicit: false,
  hosts: hosts.map(([host, preference], i) => ({ host, preference, addresses: [`127.0.0.${i + 2}`] })),
});
const names = (r: ReturnType<typeof mxTargets>) => (r.kind === "hosts" ? r.hosts.map((h) => h.host) : r.verdict);

describe("own host among the MX hosts", () => {
  test("we are a backup MX: only the more preferred hosts remain", () => {
    const r = mxTargets(mx(["a.other.test", 10], ["b.other.test", 10], ["me.example.test", 20], ["c.other.test", 30]), "other.test", 25, NEEDS, false, "me.example.test");
    expect(names(r)).toEqual(["a.other.test", "b.other.test"]);
  });

  test("hosts of equal preference to ours go too (case and trailing dot ignored)", () => {
    const r = mxTargets(mx(["a.other.test", 5], ["b.other.test", 10], ["ME.example.test", 10]), "other.test", 25, NEEDS, false, "me.example.test.");
    expect(names(r)).toEqual(["a.other.test"]);
  });

  test("we are the best MX: failed 5.4.6, loops back to myself", () => {
    const r = mxTargets(mx(["me.example.test", 10], ["b.other.test", 20]), "other.test", 25, NEEDS, false, "me.example.test");
    expect(r).toEqual({ kind: "verdict", verdict: { outcome: "failed", status: "5.4.6", reply: "554 5.4.6 mail for other.test loops back to myself" } });
  });

  test("an implicit MX (the domain's A record) that is our own name loops", () => {
    const implicit: MxResult = { kind: "hosts", implicit: true, hosts: [{ host: "me.example.test", preference: 0, addresses: ["127.0.0.2"] }] };
    expect(withoutSelf(implicit, "me.example.test")).toEqual({ kind: "loops" });
  });

  test("our name absent: the list is untouched", () => {
    const list = mx(["a.other.test", 10], ["b.other.test", 20]);
    expect(withoutSelf(list, "me.example.test")).toBe(list);
    expect(names(mxTargets(list, "other.test", 25, NEEDS, false, "me.example.test"))).toEqual(["a.other.test", "b.other.test"]);
  });
});
