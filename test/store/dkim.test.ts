// The DKIM key store: normalised domain and selector, all-or-nothing inserts, active vs
// retired, and delete.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  activeDkimKeys,
  addDkimKey,
  addDkimKeys,
  deleteDkimKey,
  DkimKeyError,
  getDkimKey,
  listDkimKeys,
  retireDkimKey,
} from "../../src/store/dkim.ts";
import type { NewDkimKey } from "../../src/store/dkim.ts";
import { StoreError } from "../../src/store/errors.ts";
import { tempDb, type TempDb } from "../db/temp-db.ts";

let t: TempDb;
beforeAll(async () => {
  t = await tempDb();
});
afterAll(() => t.cleanup());

// The store does not look inside the key material, so short stand-ins do here.
function key(domain: string, selector: string, over: Partial<NewDkimKey> = {}): NewDkimKey {
  return { domain, selector, algorithm: "ed25519-sha256", privateKey: `PEM ${selector}`, publicKey: `P${selector}`, ...over };
}

describe("dkim store", () => {
  test("domain becomes a lower-case A-label, selector lower-case", async () => {
    const k = await addDkimKey(t.db, key("Bücher.Example.", "HK1-ED", { createdAt: 1000 }));
    expect(k).toMatchObject({ domain: "xn--bcher-kva.example", selector: "hk1-ed", createdAt: 1000, retiredAt: null });
    expect(k.id).toBeGreaterThan(0);
    expect(await getDkimKey(t.db, "bücher.example", "hk1-ed")).toEqual(k);
  });

  test("invalid domain, selector or algorithm is refused before writing", async () => {
    await expect(addDkimKey(t.db, key("not a domain", "s"))).rejects.toBeInstanceOf(StoreError);
    await expect(addDkimKey(t.db, key("a.test", "bad_selector"))).rejects.toMatchObject({ code: "INVALID_SELECTOR" });
    await expect(addDkimKey(t.db, key("a.test", "s", { algorithm: "rsa-sha1" as never }))).rejects.toMatchObject({ code: "INVALID_ALGORITHM" });
    expect(await listDkimKeys(t.db, "a.test")).toEqual([]);
  });

  test("a duplicate selector fails the whole batch", async () => {
    await addDkimKey(t.db, key("dup.test", "s1-rsa", { algorithm: "rsa-sha256" }));
    const e = await addDkimKeys(t.db, [key("dup.test", "s2-ed"), key("DUP.test", "S1-RSA")]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DkimKeyError);
    expect((e as DkimKeyError).code).toBe("DKIM_KEY_EXISTS");
    expect((await listDkimKeys(t.db, "dup.test")).map((k) => k.selector)).toEqual(["s1-rsa"]);
  });

  test("list by domain or all; active excludes retired; retire keeps the row", async () => {
    await addDkimKeys(t.db, [
      key("rot.test", "old-rsa", { algorithm: "rsa-sha256", createdAt: 10 }),
      key("rot.test", "old-ed", { createdAt: 10 }),
      key("rot.test", "new-ed", { createdAt: 20 }),
    ]);
    expect((await listDkimKeys(t.db, "ROT.test")).map((k) => k.selector)).toEqual(["old-ed", "old-rsa", "new-ed"]);
    expect(await retireDkimKey(t.db, "rot.test", "OLD-RSA", 500)).toBe(true);
    // A second retire changes nothing (the first retirement time stays).
    expect(await retireDkimKey(t.db, "rot.test", "old-rsa", 900)).toBe(false);
    expect((await getDkimKey(t.db, "rot.test", "old-rsa"))?.retiredAt).toBe(500);
    expect((await activeDkimKeys(t.db, "rot.test")).map((k) => k.selector)).toEqual(["old-ed", "new-ed"]);
    expect((await listDkimKeys(t.db, "rot.test")).length).toBe(3);
    const all = await listDkimKeys(t.db);
    expect(all.map((k) => k.domain)).toEqual([...all.map((k) => k.domain)].sort());
    expect(all.some((k) => k.domain === "dup.test")).toBe(true);
  });

  test("retire and delete of unknown keys return false; delete removes the row", async () => {
    expect(await retireDkimKey(t.db, "rot.test", "nope")).toBe(false);
    expect(await deleteDkimKey(t.db, "rot.test", "nope")).toBe(false);
    expect(await deleteDkimKey(t.db, "bad domain", "x")).toBe(false);
    expect(await deleteDkimKey(t.db, "rot.test", "old-rsa")).toBe(true);
    expect(await getDkimKey(t.db, "rot.test", "old-rsa")).toBeNull();
    expect((await listDkimKeys(t.db, "rot.test")).map((k) => k.selector)).toEqual(["old-ed", "new-ed"]);
  });

  test("a domain that is not valid lists nothing", async () => {
    expect(await listDkimKeys(t.db, "-bad-")).toEqual([]);
    expect(await activeDkimKeys(t.db, "-bad-")).toEqual([]);
  });
});
