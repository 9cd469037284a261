// signMessage against mailauth's verifier (strict mode, RFC 6376/8301/8463 exactly) with a
// resolver that serves the records dkim-keys.ts produces: both signatures pass, a changed
// body or a forged From fails, and messages without a key come back byte for byte.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dkimVerify } from "mailauth";
import { dkimTxtRecord, generateDkimKeyPair, splitTxtValue } from "../../src/delivery/dkim-keys.ts";
import type { DkimKeyPair } from "../../src/delivery/dkim-keys.ts";
import { authorDomain, DkimSignError, SIGNED_HEADERS, signMessage } from "../../src/delivery/dkim-sign.ts";
import { addDkimKeys, listDkimKeys, retireDkimKey } from "../../src/store/dkim.ts";
import { tempDb, type TempDb } from "../db/temp-db.ts";

const NOW = Date.UTC(2026, 2, 4, 5, 6, 7);
const enc = new TextEncoder();
const dec = new TextDecoder();

let t: TempDb;
let rsa: DkimKeyPair;
let ed: DkimKeyPair;
let records: Map<string, string>;

beforeAll(async () => {
  t = await tempDb();
  [rsa, ed] = await Promise.all([generateDkimKeyPair("rsa-sha256"), generateDkimKeyPair("ed25519-sha256")]);
  await addDkimKeys(t.db, [
    { domain: "Example.COM", selector: "hk202603-rsa", ...rsa },
    { domain: "example.com", selector: "hk202603-ed", ...ed },
  ]);
  records = new Map((await listDkimKeys(t.db)).map((k) => [dkimTxtRecord(k).name, dkimTxtRecord(k).value]));
});
afterAll(() => t.cleanup());

/** A DNS stub: TXT answers as a list of character-strings, NXDOMAIN (ENOTFOUND) otherwise. */
async function resolver(name: string, rrtype: string): Promise<string[][]> {
  const value = rrtype === "TXT" ? records.get(name.toLowerCase()) : undefined;
  if (value === undefined) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: "ENOTFOUND" });
  return [splitTxtValue(value)];
}

async function verify(message: Uint8Array) {
  const r = await dkimVerify(Buffer.from(message), { resolver, strict: true, curTime: new Date(NOW + 1000) });
  return r.results.map((x) => ({ d: x.signingDomain, s: x.selector, a: x.algo, result: x.status.result }));
}

function msg(from: string, body = "Hello,\r\n\r\nthe quarterly figures.\r\n", extra = ""): Uint8Array {
  return enc.encode(
    `From: ${from}\r\nTo: Bob <bob@remote.test>\r\nSubject: Figures\r\nDate: Wed, 04 Mar 2026 05:06:07 +0000\r\n` +
      `Message-ID: <m1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n${extra}\r\n${body}`,
  );
}

describe("signMessage", () => {
  test("signs with every active key; both signatures verify (strict)", async () => {
    const input = msg("Alice <alice@example.com>");
    const r = await signMessage(t.db, input, { now: NOW });
    expect(r.failed).toEqual([]);
    expect(r.signedBy).toEqual([
      { domain: "example.com", selector: "hk202603-ed", algorithm: "ed25519-sha256" },
      { domain: "example.com", selector: "hk202603-rsa", algorithm: "rsa-sha256" },
    ]);
    expect((await verify(r.message)).sort((a, b) => a.s!.localeCompare(b.s!))).toEqual([
      { d: "example.com", s: "hk202603-ed", a: "ed25519-sha256", result: "pass" },
      { d: "example.com", s: "hk202603-rsa", a: "rsa-sha256", result: "pass" },
    ]);
  });

  test("prepends CRLF-terminated DKIM-Signature fields and keeps the input bytes after them", async () => {
    const input = msg("alice@example.com");
    const { message } = await signMessage(t.db, input, { now: NOW });
    const text = dec.decode(message);
    expect(text).toStartWith("DKIM-Signature: v=1; ");
    expect(text.match(/^DKIM-Signature:/gm)?.length).toBe(2);
    expect(message.subarray(message.length - input.length)).toEqual(input);
    // Every line ends in CRLF: no LF without its CR, no CR without its LF.
    expect(/(^|[^\r])\n/.test(text)).toBe(false);
    expect(/\r(?!\n)/.test(text)).toBe(false);
    const sigs = text.slice(0, text.length - input.length);
    expect(sigs).toMatch(/c=relaxed\/relaxed/);
    expect(sigs).toMatch(/t=1772600767/);
  });

  test("h= covers From and the other listed fields present", async () => {
    const { message } = await signMessage(t.db, msg("alice@example.com", "x\r\n", "List-Id: <figures.example.com>\r\nX-Mailer: none\r\n"), { now: NOW });
    const first = dec.decode(message).split(/\r\n(?! )/)[0].replace(/\r\n /g, " ");
    const h = /h=([^;]+);/.exec(first)![1].split(":").map((x) => x.trim().toLowerCase()).sort();
    expect(h).toEqual(["content-type", "date", "from", "list-id", "message-id", "mime-version", "subject", "to"]);
    expect(SIGNED_HEADERS.map((x) => x.toLowerCase())).toContain("from");
  });

  test("a changed body fails both signatures", async () => {
    const { message } = await signMessage(t.db, msg("alice@example.com"), { now: NOW });
    const tampered = enc.encode(dec.decode(message).replace("quarterly", "quarterIy"));
    expect((await verify(tampered)).map((x) => x.result)).toEqual(["fail", "fail"]);
  });

  test("a changed signed header (Subject) fails both signatures", async () => {
    const { message } = await signMessage(t.db, msg("alice@example.com"), { now: NOW });
    const tampered = enc.encode(dec.decode(message).replace("Subject: Figures", "Subject: Payment"));
    expect((await verify(tampered)).map((x) => x.result)).toEqual(["fail", "fail"]);
  });

  test("the author domain is matched case-insensitively and with a display name", async () => {
    const r = await signMessage(t.db, msg('"Alice, CEO" <Alice@EXAMPLE.com>'), { now: NOW });
    expect(r.signedBy.length).toBe(2);
    expect((await verify(r.message)).map((x) => x.result)).toEqual(["pass", "pass"]);
  });

  test("no key for the From domain (even a subdomain): the same bytes, signedBy []", async () => {
    for (const from of ["someone@other.test", "alice@mail.example.com"]) {
      const input = msg(from);
      const r = await signMessage(t.db, input, { now: NOW });
      expect(r.message).toBe(input);
      expect(r.signedBy).toEqual([]);
    }
  });

  test("no usable author domain (no From, two From fields, mixed domains): unchanged", async () => {
    const noFrom = enc.encode("To: bob@remote.test\r\nSubject: x\r\n\r\nbody\r\n");
    const twoFrom = msg("alice@example.com", "body\r\n", "From: mallory@example.com\r\n");
    const mixed = msg("alice@example.com, eve@other.test");
    for (const input of [noFrom, twoFrom, mixed]) {
      const r = await signMessage(t.db, input, { now: NOW });
      expect(r.message).toBe(input);
      expect(r.signedBy).toEqual([]);
    }
  });

  test("a retired key no longer signs; the active one still does", async () => {
    const own = await tempDb();
    try {
      await addDkimKeys(own.db, [
        { domain: "example.com", selector: "old-rsa", ...rsa },
        { domain: "example.com", selector: "new-ed", ...ed },
      ]);
      expect(await retireDkimKey(own.db, "example.com", "old-rsa", NOW)).toBe(true);
      const r = await signMessage(own.db, msg("alice@example.com"), { now: NOW });
      expect(r.signedBy.map((s) => s.selector)).toEqual(["new-ed"]);
      expect(dec.decode(r.message)).not.toContain("s=old-rsa");
      expect(await retireDkimKey(own.db, "example.com", "new-ed", NOW)).toBe(true);
      const none = await signMessage(own.db, msg("alice@example.com"), { now: NOW });
      expect(none.signedBy).toEqual([]);
    } finally {
      await own.cleanup();
    }
  });

  test("a broken key row is reported and the other key still signs; all broken throws", async () => {
    const own = await tempDb();
    try {
      await addDkimKeys(own.db, [
        { domain: "example.com", selector: "bad", algorithm: "rsa-sha256", privateKey: "not a key", publicKey: "AAAA" },
        { domain: "example.com", selector: "good", ...ed },
      ]);
      const r = await signMessage(own.db, msg("alice@example.com"), { now: NOW });
      expect(r.signedBy.map((s) => s.selector)).toEqual(["good"]);
      expect(r.failed.map((f) => f.selector)).toEqual(["bad"]);
      await retireDkimKey(own.db, "example.com", "good");
      await expect(signMessage(own.db, msg("alice@example.com"), { now: NOW })).rejects.toBeInstanceOf(DkimSignError);
    } finally {
      await own.cleanup();
    }
  });
});

describe("authorDomain", () => {
  test.each([
    ["From: a@Example.COM\r\n\r\n", "example.com"],
    ["Subject: x\r\nFrom: A <a@example.com>,\r\n B <b@example.com>\r\n\r\n", "example.com"],
    ["From: team: a@example.com, b@example.com;\r\n\r\n", "example.com"],
    ["From: a@bücher.example\r\n\r\n", "xn--bcher-kva.example"],
    ["From: a@example.com, b@other.test\r\n\r\n", null],
    ["From: nobody\r\n\r\n", null],
    ["To: a@example.com\r\n\r\nFrom: a@example.com\r\n", null],
  ])("%p → %p", (raw, expected) => {
    expect(authorDomain(enc.encode(raw))).toBe(expected);
  });
});
