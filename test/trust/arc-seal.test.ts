// arc-seal on a real database of keys and a fake resolver: message-auth runs first as in the
// pipeline, then our ARC set is applied as the bus would and verified by mailauth's ARC validator.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { authenticate, sealMessage } from "mailauth";
import { arcSeal } from "../../handlers/arc-seal.ts";
import { messageAuth } from "../../handlers/message-auth.ts";
import { generateDkimKeyPair, dkimRecordValue, type DkimKeyPair } from "../../src/delivery/dkim-keys.ts";
import type { RecipientInfo } from "../../src/events/catalog.ts";
import type { HandlerContext } from "../../src/events/handler.ts";
import type { HeaderField } from "../../src/events/verdict.ts";
import { applyHeaderEdits } from "../../src/protocol/mime/header-edits.ts";
import { addDkimKeys } from "../../src/store/dkim.ts";
import { tempDb, type TempDb } from "../db/temp-db.ts";
import { fakeConfig, fakeCtx, fakeResolver, fakeSession, mail, run, type FakeZone } from "./mailauth-fakes.ts";

const config = fakeConfig();
const zone: FakeZone = {};
const resolve = (n: string, t: string) => fakeResolver(zone).resolve(n, t);
let t: TempDb;
let ours: DkimKeyPair;
let oursEd: DkimKeyPair;
let upstream: DkimKeyPair;

beforeAll(async () => {
  t = await tempDb();
  [ours, oursEd, upstream] = await Promise.all([generateDkimKeyPair("rsa-sha256"), generateDkimKeyPair("ed25519-sha256"), generateDkimKeyPair("rsa-sha256")]);
  // The Ed25519 key is older, so "RSA preferred" is a choice, not the table order.
  await addDkimKeys(t.db, [
    { domain: "fwd.example", selector: "ed", ...oursEd, createdAt: 1 },
    { domain: "fwd.example", selector: "arc", ...ours, createdAt: 2 },
  ]);
  Object.assign(zone, {
    "TXT arc._domainkey.fwd.example": [dkimRecordValue("rsa-sha256", ours.publicKey)],
    "TXT ed._domainkey.fwd.example": [dkimRecordValue("ed25519-sha256", oursEd.publicKey)],
    "TXT up._domainkey.lists.example.net": [dkimRecordValue("rsa-sha256", upstream.publicKey)],
  });
});
afterAll(() => t.cleanup());

const forwarded: RecipientInfo = { address: "fwd@example.test", orcpt: null, notify: null, resolution: { kind: "local", accounts: [], remote: ["carol@elsewhere.example"] } };
const localOnly: RecipientInfo = { address: "alice@example.test", orcpt: null, notify: null, resolution: { kind: "local", accounts: [{ id: 1, address: "alice@example.test" }], remote: [] } };

/** message-auth then arc-seal, as in handlers/mod.ts; returns the message with our edits applied. */
async function seal(message: string, opts: { rcpt?: RecipientInfo; options?: unknown; trusted?: boolean } = {}) {
  const ctx = { ...fakeCtx(config, resolve), db: t.db, now: () => Date.UTC(2024, 0, 2) } as HandlerContext;
  const payload = {
    session: fakeSession(opts.trusted ? { authUser: "alice@example.test" } : {}),
    envelope: { transactionId: "t1", mailFrom: "sender@example.org", mailParams: {}, recipients: [opts.rcpt ?? forwarded] },
    message: new TextEncoder().encode(message),
  };
  await run(messageAuth({}, config)[0], payload, ctx);
  const v = await run(arcSeal(opts.options ?? { domain: "fwd.example" }, config)[0], payload, ctx);
  expect(v.kind).toBe("continue");
  const add = (v as { headers?: { add?: HeaderField[] } }).headers?.add ?? [];
  const out = new TextDecoder("latin1").decode(applyHeaderEdits(payload.message, { add }));
  return { out, add, note: (v as { note?: string }).note ?? "" };
}

/** What the next hop's validator says about the chain. */
async function verify(message: string) {
  const res = await authenticate(Buffer.from(message, "latin1"), { resolver: resolve, ip: "198.51.100.7", helo: "mx.fwd.example", sender: "sender@example.org", mta: "next.example", disableBimi: true });
  return { result: res.arc ? res.arc.status.result : "off", i: res.arc ? res.arc.i : 0 };
}

/** A list server's valid ARC set (i=1) on an unsigned message; `tamper` edits the body after it. */
async function upstreamSealed(marker: string, tamper = false): Promise<string> {
  const msg = mail("ceo@example.org", `${marker}\r\n`);
  const set = await sealMessage(Buffer.from(msg), { signingDomain: "lists.example.net", selector: "up", privateKey: upstream.privateKey, cv: "none", authResults: "lists.example.net; spf=pass smtp.mailfrom=ceo@example.org" });
  const out = set.toString() + msg;
  return tamper ? out.replace(marker, `${marker} changed`) : out;
}

const field = (add: HeaderField[], name: string) => add.find((f) => f.name === name)?.value.replace(/\r\n[ \t]+/g, " ") ?? "";

test("a fresh message: ARC set i=1 cv=none with our RSA key and our A-R copy; the next hop validates arc=pass", async () => {
  const { out, add, note } = await seal(mail("ceo@example.org", "fresh\r\n"));
  expect(add.map((f) => f.name)).toEqual(["ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results"]);
  expect(field(add, "ARC-Seal")).toMatch(/^i=1; a=rsa-sha256; t=\d+; cv=none; d=fwd\.example; s=arc; b=/);
  expect(field(add, "ARC-Message-Signature")).toMatch(/^i=1; a=rsa-sha256;/);
  expect(field(add, "ARC-Authentication-Results")).toMatch(/^i=1; mx\.example\.test; .*dmarc=/);
  expect(note).toContain("ARC i=1 cv=none (message-auth) d=fwd.example s=arc rsa-sha256 for 1 forwarded recipient(s)");
  expect(await verify(out)).toEqual({ result: "pass", i: 1 });
});

test("a message with a valid ARC set: i=2 cv=pass, the whole chain validates", async () => {
  const { out, add } = await seal(await upstreamSealed("listed"));
  expect(field(add, "ARC-Seal")).toMatch(/^i=2; a=rsa-sha256; t=\d+; cv=pass; d=fwd\.example;/);
  expect(field(add, "ARC-Authentication-Results")).toContain("arc=pass");
  expect(await verify(out)).toEqual({ result: "pass", i: 2 });
});

test("a broken incoming chain is sealed cv=fail (RFC 8617 §5.1.2), and a cv=fail chain is not sealed again (§5.1)", async () => {
  const first = await seal(await upstreamSealed("broken", true));
  expect(field(first.add, "ARC-Seal")).toMatch(/^i=2; a=rsa-sha256; t=\d+; cv=fail;/);
  expect((await verify(first.out)).result).toBe("fail");
  const again = await seal(first.out);
  expect(again.add).toEqual([]);
  expect(again.note).toContain("not sealed (cv=fail");
  expect(again.note).toContain("(i=2) has cv=fail");
});

test("50 sets already: not sealed (RFC 8617 §4.2.1, instances 1 to 50)", async () => {
  const fake = "ARC-Seal: i=50; a=rsa-sha256; cv=pass; d=x.example; s=s; b=AAAA\r\nARC-Message-Signature: i=50; a=rsa-sha256; d=x.example; s=s; h=from; bh=AAAA; b=AAAA\r\nARC-Authentication-Results: i=50; x.example; none\r\n";
  const { add, note } = await seal(fake + mail("ceo@example.org", "full\r\n"));
  expect(add).toEqual([]);
  expect(note).toContain("already has 50 sets");
});

test("nothing forwarded off-site: no ARC headers", async () => {
  const { add, note } = await seal(mail("ceo@example.org", "stays\r\n"), { rcpt: localOnly });
  expect(add).toEqual([]);
  expect(note).toBe("nothing forwarded off-site: not sealed");
});

test("an authenticated client (no message-auth finding): the incoming chain is verified here, then i=2 cv=pass", async () => {
  const { out, add, note } = await seal(await upstreamSealed("relayed"), { trusted: true });
  expect(note).toContain("cv=pass (verified here)");
  expect(field(add, "ARC-Authentication-Results")).toContain("arc=pass");
  expect(await verify(out)).toEqual({ result: "pass", i: 2 });
});

test("a configured selector picks that key (Ed25519 here, which mailauth also validates)", async () => {
  const { out, add } = await seal(mail("ceo@example.org", "ed\r\n"), { options: { domain: "fwd.example", selector: "ed" } });
  expect(field(add, "ARC-Seal")).toMatch(/^i=1; a=ed25519-sha256;.* s=ed;/);
  expect(await verify(out)).toEqual({ result: "pass", i: 1 });
});

test("no active key for the domain: the message passes unsealed, with a note", async () => {
  const { add, note } = await seal(mail("ceo@example.org", "nokey\r\n"), { options: { domain: "nokeys.example" } });
  expect(add).toEqual([]);
  expect(note).toBe("no active DKIM key for nokeys.example: not sealed");
});

test("options: the domain is required", () => {
  expect(() => arcSeal({}, config)).toThrow(/arc-seal: invalid options/);
  expect(() => arcSeal({ domain: "x.example", extra: 1 }, config)).not.toThrow();
});
