// resolveRecipient: remote vs local, plus-addressing, alias chains and loops, catch-all,
// and literal (never routed) local parts with %, ! and quotes.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { tempDb } from "../db/temp-db.ts";
import type { TempDb } from "../db/temp-db.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { addAlias, listAliases, removeAlias } from "../../src/store/aliases.ts";
import { resolveRecipient } from "../../src/store/resolve.ts";
import type { Resolution } from "../../src/store/resolve.ts";

let t: TempDb;
const ids: Record<string, number> = {};

beforeAll(async () => {
  t = await tempDb();
  await addDomain(t.db, "example.org");
  await addDomain(t.db, "catch.example");
  for (const a of ["alice@example.org", "bob@example.org", "alice+real@example.org", "sink@catch.example"]) {
    ids[a] = (await addAccount(t.db, a, "pw")).id;
  }
  await addAlias(t.db, "team@example.org", "alice@example.org");
  await addAlias(t.db, "team@example.org", "bob@example.org");
  await addAlias(t.db, "team@example.org", "Partner@Remote.NET");
  // a chain: c1 → c2 → c3 → alice
  await addAlias(t.db, "c1@example.org", "c2@example.org");
  await addAlias(t.db, "c2@example.org", "c3@example.org");
  await addAlias(t.db, "c3@example.org", "alice+fromchain@example.org");
  // loops
  await addAlias(t.db, "loop1@example.org", "loop2@example.org");
  await addAlias(t.db, "loop2@example.org", "loop1@example.org");
  await addAlias(t.db, "loopy@example.org", "loopy@example.org");
  await addAlias(t.db, "loopy@example.org", "bob@example.org");
  // a chain longer than the depth limit
  for (let i = 0; i < 12; i++) await addAlias(t.db, `deep${i}@example.org`, `deep${i + 1}@example.org`);
  await addAlias(t.db, "deep12@example.org", "bob@example.org");
  await addAlias(t.db, "@catch.example", "sink@catch.example");
});

afterAll(async () => {
  await t.cleanup();
});

const local = (r: Resolution) => (r.kind === "local" ? { accounts: r.accounts.map((a) => a.address).sort(), remote: r.remote } : r.kind);

describe("resolveRecipient", () => {
  test("non-local domains are remote, whatever the local part", async () => {
    expect(await resolveRecipient(t.db, "someone@elsewhere.net")).toEqual({ kind: "remote" });
    expect(await resolveRecipient(t.db, "alice@example.org.elsewhere.net")).toEqual({ kind: "remote" });
  });

  test("exact accounts, case-insensitive; unknown local parts", async () => {
    expect(await resolveRecipient(t.db, "ALICE@Example.ORG")).toEqual({
      kind: "local",
      accounts: [{ id: ids["alice@example.org"], address: "alice@example.org" }],
      remote: [],
    });
    expect(await resolveRecipient(t.db, "carol@example.org")).toEqual({ kind: "unknown" });
    expect(await resolveRecipient(t.db, "garbage")).toEqual({ kind: "unknown" });
  });

  test("plus-addressing: exact first, then the base", async () => {
    expect(local(await resolveRecipient(t.db, "alice+news@example.org"))).toEqual({ accounts: ["alice@example.org"], remote: [] });
    expect(local(await resolveRecipient(t.db, "alice+real@example.org"))).toEqual({ accounts: ["alice+real@example.org"], remote: [] });
    expect(local(await resolveRecipient(t.db, "team+x@example.org"))).toEqual({
      accounts: ["alice@example.org", "bob@example.org"],
      remote: ["Partner@remote.net"],
    });
    expect(await resolveRecipient(t.db, "+alice@example.org")).toEqual({ kind: "unknown" });
    expect(await resolveRecipient(t.db, "nobody+x@example.org")).toEqual({ kind: "unknown" });
  });

  test("aliases expand recursively, with remote destinations returned separately", async () => {
    expect(local(await resolveRecipient(t.db, "team@example.org"))).toEqual({
      accounts: ["alice@example.org", "bob@example.org"],
      remote: ["Partner@remote.net"],
    });
    expect(local(await resolveRecipient(t.db, "c1@example.org"))).toEqual({ accounts: ["alice@example.org"], remote: [] });
  });

  test("loops terminate; a loop reaching nothing is unknown; depth is capped at 10", async () => {
    expect(await resolveRecipient(t.db, "loop1@example.org")).toEqual({ kind: "unknown" });
    expect(local(await resolveRecipient(t.db, "loopy@example.org"))).toEqual({ accounts: ["bob@example.org"], remote: [] });
    // deep0 → … → deep12 → bob is 13 hops: beyond the limit.
    expect(await resolveRecipient(t.db, "deep0@example.org")).toEqual({ kind: "unknown" });
    // deep3 → … → deep12 → bob is 10 hops: within it.
    expect(local(await resolveRecipient(t.db, "deep3@example.org"))).toEqual({ accounts: ["bob@example.org"], remote: [] });
  });

  test("catch-all applies last", async () => {
    expect(local(await resolveRecipient(t.db, "anything@catch.example"))).toEqual({ accounts: ["sink@catch.example"], remote: [] });
    expect(local(await resolveRecipient(t.db, "Sink+tag@CATCH.example"))).toEqual({ accounts: ["sink@catch.example"], remote: [] });
  });

  test("%, ! and quoted local parts are literal, never routes (open-relay defence)", async () => {
    for (const a of [
      "alice%elsewhere.net@example.org",
      "elsewhere.net!alice@example.org",
      '"alice@elsewhere.net"@example.org',
      '"alice"@example.org',
      '"alice+x"@example.org',
      "@elsewhere.net:alice@example.org",
    ]) {
      expect(await resolveRecipient(t.db, a)).toEqual({ kind: "unknown" });
    }
    // On a catch-all domain they are just more local parts for the catch-all.
    expect(local(await resolveRecipient(t.db, "bob%elsewhere.net@catch.example"))).toEqual({ accounts: ["sink@catch.example"], remote: [] });
  });

  test("alias administration", async () => {
    await expect(addAlias(t.db, "team@example.org", "bob@example.org")).rejects.toMatchObject({ code: "ALIAS_EXISTS" });
    await expect(addAlias(t.db, "x@notlocal.org", "bob@example.org")).rejects.toMatchObject({ code: "DOMAIN_NOT_FOUND" });
    const n = (await listAliases(t.db)).length;
    await addAlias(t.db, "tmp@example.org", "a@x.org");
    await addAlias(t.db, "tmp@example.org", "b@x.org");
    expect(await removeAlias(t.db, "TMP@example.org", "a@x.org")).toBe(1);
    expect(await removeAlias(t.db, "tmp@example.org")).toBe(1);
    expect((await listAliases(t.db)).length).toBe(n);
  });
});
