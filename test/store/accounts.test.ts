// Domains and accounts: normalisation, default mailboxes in one op, credentials, and the
// flat timing of checkPassword for unknown users.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { tempDb } from "../db/temp-db.ts";
import type { TempDb } from "../db/temp-db.ts";
import { addDomain, isLocalDomain, listDomains, removeDomain } from "../../src/store/domains.ts";
import {
  addAccount,
  checkPassword,
  findAccount,
  getScram,
  listAccounts,
  removeAccount,
  setDisabled,
  setPassword,
} from "../../src/store/accounts.ts";
import { listMailboxes } from "../../src/store/mailboxes.ts";

let t: TempDb;
beforeEach(async () => {
  t = await tempDb();
});
afterEach(async () => {
  await t.cleanup();
});

describe("domains", () => {
  test("normalised to lower-case A-labels; lookups are case-insensitive", async () => {
    await addDomain(t.db, "Example.ORG.");
    await addDomain(t.db, "bücher.example");
    expect((await listDomains(t.db)).map((d) => d.name)).toEqual(["example.org", "xn--bcher-kva.example"]);
    expect(await isLocalDomain(t.db, "EXAMPLE.org")).toBe(true);
    expect(await isLocalDomain(t.db, "BÜCHER.example")).toBe(true);
    expect(await isLocalDomain(t.db, "other.org")).toBe(false);
    await expect(addDomain(t.db, "example.org")).rejects.toMatchObject({ code: "DOMAIN_EXISTS" });
    for (const bad of ["", "-a.org", "a..org", "a_b.org", "x".repeat(64) + ".org", "a b.org"]) {
      await expect(addDomain(t.db, bad)).rejects.toMatchObject({ code: "INVALID_DOMAIN" });
    }
  });

  test("removal refuses while accounts exist, then removes the domain's aliases too", async () => {
    await addDomain(t.db, "example.org");
    await addAccount(t.db, "a@example.org", "pw");
    await t.db.writer.write([{ sql: "INSERT INTO aliases (source, destination, created_at) VALUES ('@example.org', 'a@example.org', 0), ('x@example.org.evil', 'y@z', 0)" }]);
    await expect(removeDomain(t.db, "example.org")).rejects.toMatchObject({ code: "DOMAIN_IN_USE" });
    await removeAccount(t.db, "a@example.org");
    expect(await removeDomain(t.db, "EXAMPLE.org")).toBe(true);
    expect(await removeDomain(t.db, "example.org")).toBe(false);
    const left = await t.db.client.execute("SELECT source FROM aliases");
    expect(left.rows.map((r) => r.source)).toEqual(["x@example.org.evil"]);
  });
});

describe("accounts", () => {
  beforeEach(async () => {
    await addDomain(t.db, "example.org");
  });

  test("addAccount creates the six default mailboxes, subscribed, with special-use, in one op", async () => {
    const before = t.db.writer.stats().ops;
    const a = await addAccount(t.db, "Alice@Example.org", "secret");
    expect(t.db.writer.stats().ops - before).toBe(1);
    expect(a.address).toBe("alice@example.org");
    const boxes = await listMailboxes(t.db, a.id);
    expect(boxes.map((b) => [b.name, b.specialUse, b.subscribed, b.uidNext, b.highestModseq]).sort()).toEqual(
      [
        ["Archive", "\\Archive", true, 1, 1],
        ["Drafts", "\\Drafts", true, 1, 1],
        ["INBOX", null, true, 1, 1],
        ["Junk", "\\Junk", true, 1, 1],
        ["Sent", "\\Sent", true, 1, 1],
        ["Trash", "\\Trash", true, 1, 1],
      ].sort(),
    );
    const nowSec = Math.floor(Date.now() / 1000);
    for (const b of boxes) {
      expect(b.uidvalidity).toBeGreaterThanOrEqual(nowSec - 5);
      expect(b.uidvalidity).toBeLessThan(2 ** 32);
    }
    expect(new Set(boxes.map((b) => b.uidvalidity)).size).toBe(6);
  });

  test("unknown domain and duplicates are refused and leave nothing behind", async () => {
    await expect(addAccount(t.db, "bob@nowhere.org", "pw")).rejects.toMatchObject({ code: "DOMAIN_NOT_FOUND" });
    const orphans = await t.db.client.execute("SELECT count(*) AS n FROM mailboxes");
    expect(Number(orphans.rows[0].n)).toBe(0);
    await addAccount(t.db, "bob@example.org", "pw");
    await expect(addAccount(t.db, "BOB@example.org", "pw")).rejects.toMatchObject({ code: "ACCOUNT_EXISTS" });
    await expect(addAccount(t.db, "not-an-address", "pw")).rejects.toMatchObject({ code: "INVALID_ADDRESS" });
    expect((await listAccounts(t.db)).map((a) => a.address)).toEqual(["bob@example.org"]);
  });

  test("checkPassword, setPassword, disable, getScram, remove", async () => {
    const a = await addAccount(t.db, "carol@example.org", "old");
    expect(await checkPassword(t.db, "CAROL@example.org", "old")).toEqual({ id: a.id, address: "carol@example.org" });
    expect(await checkPassword(t.db, "carol@example.org", "wrong")).toBeNull();
    expect(await setPassword(t.db, "carol@example.org", "new")).toBe(true);
    expect(await checkPassword(t.db, "carol@example.org", "old")).toBeNull();
    expect(await checkPassword(t.db, "carol@example.org", "new")).not.toBeNull();
    const scram = await getScram(t.db, "carol@example.org");
    expect(scram?.iterations).toBeGreaterThanOrEqual(4096);
    expect(scram?.storedKey.length).toBe(32);
    expect(await getScram(t.db, "nobody@example.org")).toBeNull();
    await setDisabled(t.db, "carol@example.org", true);
    expect(await checkPassword(t.db, "carol@example.org", "new")).toBeNull();
    expect(await getScram(t.db, "carol@example.org")).toBeNull();
    expect((await findAccount(t.db, "carol@EXAMPLE.ORG"))?.disabled).toBe(true);
    expect(await removeAccount(t.db, "carol@example.org")).toBe(true);
    expect(await findAccount(t.db, "carol@example.org")).toBeNull();
    const boxes = await t.db.client.execute("SELECT count(*) AS n FROM mailboxes");
    expect(Number(boxes.rows[0].n)).toBe(0);
  });

  test("an unknown account still costs a full password verification", async () => {
    await addAccount(t.db, "dave@example.org", "pw");
    const time = async (addr: string) => {
      const start = performance.now();
      expect(await checkPassword(t.db, addr, "wrong")).toBeNull();
      return performance.now() - start;
    };
    await time("dave@example.org");
    const known = await time("dave@example.org");
    const unknown = await time("nobody@example.org");
    const invalid = await time("no-at-sign");
    // scrypt dominates both; without the dummy verify "unknown" would take ~0 ms.
    expect(unknown).toBeGreaterThan(known * 0.3);
    expect(invalid).toBeGreaterThan(known * 0.3);
  });
});
