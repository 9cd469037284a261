// DSNs parsed back with our MIME parser: multipart/report structure, the RFC 3464 fields,
// RET and size handling, RFC 6533 global types, boundary choice, and header injection.

import { describe, expect, test } from "bun:test";
import { buildDsn } from "../../src/delivery/dsn.ts";
import type { DsnInput, DsnRecipient } from "../../src/delivery/dsn.ts";
import { scanFields } from "../../src/protocol/mime/header.ts";
import { parseMime } from "../../src/protocol/mime/parse.ts";
import type { MimePart } from "../../src/protocol/mime/types.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const T0 = Date.UTC(2024, 0, 2, 3, 4, 5);

const ORIGINAL = "From: alice@example.org\r\nTo: bob@remote.example\r\nSubject: hello\r\nMessage-ID: <m1@example.org>\r\n\r\nHi Bob,\r\n.\r\nbye\r\n";

function rcpt(over: Partial<DsnRecipient> = {}): DsnRecipient {
  return {
    address: "bob@remote.example",
    orcpt: null,
    action: "failed",
    status: "5.1.1",
    diagnostic: "550 5.1.1 no such user",
    remoteMta: "mx.remote.example",
    lastAttemptAt: T0 + 60_000,
    ...over,
  };
}

function input(over: Partial<DsnInput> = {}): DsnInput {
  return {
    reportingMta: "mail.example.org",
    originalMailFrom: "alice@example.org",
    envid: null,
    ret: null,
    original: enc.encode(ORIGINAL),
    arrivalDate: T0,
    recipients: [rcpt()],
    now: T0 + 120_000,
    messageId: "dsn-1@mail.example.org",
    smtputf8: false,
    ...over,
  };
}

type Fields = Map<string, string[]>;
function fieldsOf(raw: Uint8Array, start: number, end: number): Fields {
  const m: Fields = new Map();
  for (const f of scanFields(raw, start, end, 1 << 20).fields) {
    const k = f.name.toLowerCase();
    m.set(k, [...(m.get(k) ?? []), f.value]);
  }
  return m;
}
const one = (m: Fields, name: string) => {
  const v = m.get(name.toLowerCase()) ?? [];
  expect(v.length).toBe(1);
  return v[0]!;
};

/** Parses a DSN and returns its pieces, checking the invariant structure on the way. */
function parseDsn(raw: Uint8Array) {
  const text = dec.decode(raw);
  expect(/\r(?!\n)|(?<!\r)\n/.test(text)).toBe(false); // CRLF only
  for (const line of text.split("\r\n")) expect(enc.encode(line).length).toBeLessThanOrEqual(998);
  const parsed = parseMime(raw);
  const root = parsed.root;
  expect(parsed.truncated).toBe(false);
  expect(`${root.contentType.type}/${root.contentType.subtype}`).toBe("multipart/report");
  expect(root.contentType.params["report-type"]).toBe("delivery-status");
  const parts = root.parts!;
  expect(parts.length).toBe(3);
  const head = fieldsOf(raw, root.headerStart, root.headerEnd);
  const type = (p: MimePart) => `${p.contentType.type}/${p.contentType.subtype}`;
  const body = (p: MimePart) => raw.subarray(p.bodyStart, p.bodyEnd);
  // RFC 3464 §2.1: groups of fields separated by blank lines; the first is per-message.
  const statusText = dec.decode(body(parts[1]!));
  const groups = statusText.split("\r\n\r\n").filter((g) => g.trim() !== "").map((g) => {
    const b = enc.encode(g + "\r\n");
    return fieldsOf(b, 0, b.length);
  });
  return { parsed, root, parts, head, type, body, groups, text, statusText };
}

describe("buildDsn: structure and fields", () => {
  test("a failure DSN has the RFC 5322 / 3834 / 6522 header", () => {
    const { head, parsed } = parseDsn(buildDsn(input()));
    expect(one(head, "From")).toBe("Mail Delivery System <MAILER-DAEMON@mail.example.org>");
    expect(one(head, "To")).toBe("<alice@example.org>");
    expect(one(head, "Subject")).toBe("Undelivered Mail Returned to Sender");
    expect(one(head, "Auto-Submitted")).toBe("auto-replied");
    expect(one(head, "MIME-Version")).toBe("1.0");
    expect(parsed.messageId).toBe("<dsn-1@mail.example.org>");
    expect(new Date(parsed.date!).getTime()).toBe(T0 + 120_000);
  });

  test("three parts: text, delivery-status, original; per-message and per-recipient fields", () => {
    const d = parseDsn(buildDsn(input({ envid: "QQ 314159", recipients: [rcpt({ orcpt: "rfc822;Bob@Remote.example" })] })));
    expect(d.parts.map(d.type)).toEqual(["text/plain", "message/delivery-status", "message/rfc822"]);
    expect(d.groups.length).toBe(2);
    const [msg, r] = d.groups as [Fields, Fields];
    expect(one(msg, "Original-Envelope-Id")).toBe("QQ 314159");
    expect(one(msg, "Reporting-MTA")).toBe("dns; mail.example.org");
    expect(new Date(one(msg, "Arrival-Date")).getTime()).toBe(T0);
    expect(one(r, "Original-Recipient")).toBe("rfc822;Bob@Remote.example");
    expect(one(r, "Final-Recipient")).toBe("rfc822;bob@remote.example");
    expect(one(r, "Action")).toBe("failed");
    expect(one(r, "Status")).toBe("5.1.1");
    expect(one(r, "Remote-MTA")).toBe("dns; mx.remote.example");
    expect(one(r, "Diagnostic-Code")).toBe("smtp; 550 5.1.1 no such user");
    expect(new Date(one(r, "Last-Attempt-Date")).getTime()).toBe(T0 + 60_000);
    expect(r.has("will-retry-until")).toBe(false);
    const human = dec.decode(d.body(d.parts[0]!));
    expect(human).toContain("<bob@remote.example>: delivery failed permanently");
    expect(human).toContain("550 5.1.1 no such user");
  });

  test("no Original-Envelope-Id without ENVID, no Original-Recipient without ORCPT", () => {
    const d = parseDsn(buildDsn(input()));
    expect(d.groups[0]!.has("original-envelope-id")).toBe(false);
    expect(d.groups[1]!.has("original-recipient")).toBe(false);
  });

  test("delayed: subject, Will-Retry-Until, headers only", () => {
    const until = T0 + 5 * 86_400_000;
    const d = parseDsn(buildDsn(input({ recipients: [rcpt({ action: "delayed", status: "4.4.1", willRetryUntil: until })] })));
    expect(one(d.head, "Subject")).toBe("Delayed Mail (still being retried)");
    const r = d.groups[1]!;
    expect(one(r, "Action")).toBe("delayed");
    expect(new Date(one(r, "Will-Retry-Until")).getTime()).toBe(until);
    expect(d.type(d.parts[2]!)).toBe("text/rfc822-headers");
  });

  test("success: subject; Will-Retry-Until never on other actions", () => {
    const d = parseDsn(buildDsn(input({ recipients: [rcpt({ action: "delivered", status: "2.0.0", willRetryUntil: T0 })] })));
    expect(one(d.head, "Subject")).toBe("Successful Mail Delivery Report");
    expect(d.groups[1]!.has("will-retry-until")).toBe(false);
  });

  test("several recipients: one group each, mixed report is a failure", () => {
    const d = parseDsn(buildDsn(input({
      recipients: [rcpt({ action: "delayed", status: "4.4.1" }), rcpt({ address: "carol@remote.example" }), rcpt({ address: "dan@remote.example", action: "relayed", status: "2.0.0" })],
    })));
    expect(one(d.head, "Subject")).toBe("Undelivered Mail Returned to Sender");
    expect(d.groups.slice(1).map((g) => one(g, "Final-Recipient"))).toEqual([
      "rfc822;bob@remote.example",
      "rfc822;carol@remote.example",
      "rfc822;dan@remote.example",
    ]);
  });

  test("a malformed status falls back to the class of the action; a local error is not smtp", () => {
    const d = parseDsn(buildDsn(input({ recipients: [rcpt({ status: "nonsense", diagnostic: "connection timed out" })] })));
    expect(one(d.groups[1]!, "Status")).toBe("5.0.0");
    expect(one(d.groups[1]!, "Diagnostic-Code")).toBe("X-Hikyaku; connection timed out");
  });

  test("a multi-line reply becomes one line with the code once", () => {
    const d = parseDsn(buildDsn(input({ recipients: [rcpt({ diagnostic: "550-5.1.1 The account does not exist.\r\n550-5.1.1 Please check\r\n550 5.1.1 the address." })] })));
    expect(one(d.groups[1]!, "Diagnostic-Code")).toBe("smtp; 550 5.1.1 The account does not exist. Please check the address.");
  });

  test("a long reply is folded and unfolds to the same text", () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");
    const d = parseDsn(buildDsn(input({ recipients: [rcpt({ diagnostic: `550 5.7.1 ${words}` })] })));
    expect(d.statusText).toMatch(/Diagnostic-Code: smtp; 550[^\r]*\r\n [^\r]*/);
    expect(one(d.groups[1]!, "Diagnostic-Code")).toBe(`smtp; 550 5.7.1 ${words}`);
    for (const line of d.statusText.split("\r\n")) expect(line.length).toBeLessThanOrEqual(78);
  });

  test("a huge reply without spaces is cut so no line passes 998 octets", () => {
    const d = parseDsn(buildDsn(input({ recipients: [rcpt({ diagnostic: "550 " + "x".repeat(5000) })] })));
    expect(one(d.groups[1]!, "Diagnostic-Code").endsWith("...")).toBe(true);
  });
});

describe("buildDsn: what is returned of the original (RET)", () => {
  const headerOnly = ORIGINAL.slice(0, ORIGINAL.indexOf("\r\n\r\n") + 2);
  const table: [string, DsnInput["ret"], DsnRecipient["action"], "message/rfc822" | "text/rfc822-headers"][] = [
    ["failure, no RET → full", null, "failed", "message/rfc822"],
    ["failure, RET=FULL → full", "FULL", "failed", "message/rfc822"],
    ["failure, RET=HDRS → headers", "HDRS", "failed", "text/rfc822-headers"],
    ["delay, RET=FULL → headers", "FULL", "delayed", "text/rfc822-headers"],
    ["delay, no RET → headers", null, "delayed", "text/rfc822-headers"],
    ["success, RET=FULL → headers", "FULL", "delivered", "text/rfc822-headers"],
  ];
  for (const [name, ret, action, want] of table) {
    test(name, () => {
      const d = parseDsn(buildDsn(input({ ret, recipients: [rcpt({ action, status: action === "failed" ? "5.1.1" : action === "delayed" ? "4.4.1" : "2.0.0" })] })));
      const p = d.parts[2]!;
      expect(d.type(p)).toBe(want);
      expect(dec.decode(d.body(p))).toBe(want === "message/rfc822" ? ORIGINAL : headerOnly);
      if (want === "message/rfc822") {
        expect(p.message?.envelope.subject).toBe("hello");
        expect(dec.decode(d.body(p.message!.part))).toBe("Hi Bob,\r\n.\r\nbye\r\n");
      }
      const text = dec.decode(d.body(d.parts[0]!));
      expect(text).toContain(want === "message/rfc822" ? "original message is attached" : "header of your original message");
    });
  }

  test("an original over the size cap is returned as its header", () => {
    const d = parseDsn(buildDsn(input({ ret: "FULL" }), { maxOriginalBytes: ORIGINAL.length - 1 }));
    expect(d.type(d.parts[2]!)).toBe("text/rfc822-headers");
    expect(dec.decode(d.body(d.parts[2]!))).toBe(headerOnly);
  });

  test("at the cap it is still returned whole", () => {
    const d = parseDsn(buildDsn(input(), { maxOriginalBytes: ORIGINAL.length }));
    expect(d.type(d.parts[2]!)).toBe("message/rfc822");
  });

  test("a header over the cap is cut before a field, never inside a folded one", () => {
    const orig = "A: 1\r\nB: two\r\n  folded\r\nC: 3\r\n\r\nbody\r\n";
    const d = parseDsn(buildDsn(input({ original: enc.encode(orig) }), { maxOriginalBytes: 20 }));
    expect(dec.decode(d.body(d.parts[2]!))).toBe("A: 1\r\n");
  });

  test("a bare-LF original comes back with CRLF line ends", () => {
    const d = parseDsn(buildDsn(input({ original: enc.encode("Subject: lf\n\nline\n") })));
    expect(dec.decode(d.body(d.parts[2]!))).toBe("Subject: lf\r\n\r\nline\r\n");
  });
});

describe("buildDsn: encodings and RFC 6533", () => {
  test("an ASCII DSN has no 8bit labels anywhere", () => {
    const d = parseDsn(buildDsn(input()));
    expect([d.root, ...d.parts].map((p) => p.encoding)).toEqual(["7bit", "7bit", "7bit", "7bit"]);
    expect(d.parts[0]!.contentType.params.charset).toBe("us-ascii");
  });

  test("an 8-bit body in the original: message/rfc822 labelled 8bit, and the multipart too", () => {
    const d = parseDsn(buildDsn(input({ original: enc.encode("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n") })));
    expect(d.type(d.parts[1]!)).toBe("message/delivery-status");
    expect(d.type(d.parts[2]!)).toBe("message/rfc822");
    expect(d.parts[2]!.encoding).toBe("8bit");
    expect(d.root.encoding).toBe("8bit");
  });

  test("SMTPUTF8 transaction: global types even when ASCII", () => {
    const d = parseDsn(buildDsn(input({ smtputf8: true })));
    expect(d.parts.map(d.type)).toEqual(["text/plain", "message/global-delivery-status", "message/global"]);
    const h = parseDsn(buildDsn(input({ smtputf8: true, ret: "HDRS" })));
    expect(h.type(h.parts[2]!)).toBe("message/global-headers");
  });

  test("a non-ASCII recipient: utf-8 address type, UTF-8 text labelled 8bit", () => {
    const raw = buildDsn(input({ smtputf8: true, recipients: [rcpt({ address: "用户@例子.example", orcpt: "utf-8;用户@例子.example" })] }));
    const d = parseDsn(raw);
    const r = d.groups[1]!;
    expect(one(r, "Final-Recipient")).toBe("utf-8;用户@例子.example");
    expect(one(r, "Original-Recipient")).toBe("utf-8;用户@例子.example");
    expect(d.parts[0]!.contentType.params.charset).toBe("utf-8");
    expect(d.parts[0]!.encoding).toBe("8bit");
    expect(d.parts[1]!.encoding).toBe("8bit");
    expect(dec.decode(d.body(d.parts[0]!))).toContain("<用户@例子.example>");
  });

  test("a non-ASCII reply alone switches to the global types", () => {
    const d = parseDsn(buildDsn(input({ recipients: [rcpt({ diagnostic: "550 5.1.1 utilisateur inconnu: é" })] })));
    expect(d.type(d.parts[1]!)).toBe("message/global-delivery-status");
    expect(d.type(d.parts[2]!)).toBe("message/global");
  });

  test("UTF-8 in the original's header: message/global-headers for a delay", () => {
    const d = parseDsn(buildDsn(input({ original: enc.encode("Subject: こんにちは\r\n\r\nx\r\n"), recipients: [rcpt({ action: "delayed", status: "4.0.0" })] })));
    expect(d.type(d.parts[2]!)).toBe("message/global-headers");
    expect(d.parts[2]!.encoding).toBe("8bit");
  });
});

describe("buildDsn: boundary and injection", () => {
  test("a boundary found in the original is not used", () => {
    const first = parseDsn(buildDsn(input()));
    const b1 = first.root.contentType.params.boundary!;
    const evil = ORIGINAL + `--${b1}\r\nContent-Type: text/plain\r\n\r\nforged\r\n--${b1}--\r\n`;
    const d = parseDsn(buildDsn(input({ original: enc.encode(evil) })));
    expect(d.root.contentType.params.boundary).not.toBe(b1);
    expect(dec.decode(d.body(d.parts[2]!))).toBe(evil);
  });

  test("the boundary is stable for the same input", () => {
    expect(buildDsn(input())).toEqual(buildDsn(input()));
  });

  test("CR/LF in a remote reply cannot add a field, a group or a part", () => {
    const diagnostic = "550 no\r\nX-Injected: yes\r\n\r\nFinal-Recipient: rfc822;evil@attacker.example\r\n\r\n--x\n\rBcc: victim@example.org";
    const d = parseDsn(buildDsn(input({ recipients: [rcpt({ diagnostic, remoteMta: "mx\r\nX-Remote: 1" })] })));
    expect(d.groups.length).toBe(2);
    const r = d.groups[1]!;
    expect(r.get("final-recipient")).toEqual(["rfc822;bob@remote.example"]);
    expect(r.has("x-injected")).toBe(false);
    expect(r.has("bcc")).toBe(false);
    expect(r.has("x-remote")).toBe(false);
    expect(one(r, "Diagnostic-Code")).toContain("X-Injected: yes");
    expect(one(r, "Remote-MTA")).toBe("dns; mx X-Remote: 1");
    expect(d.head.has("bcc")).toBe(false);
  });

  test("CR/LF in envelope values cannot add header fields", () => {
    const d = parseDsn(buildDsn(input({
      originalMailFrom: "a@b\r\nBcc: x@y",
      reportingMta: "host\r\nX-Evil: 1",
      messageId: "id\r\nX-Evil: 2",
      envid: "env\nX-Evil: 3",
    })));
    expect(d.head.has("bcc")).toBe(false);
    expect(d.head.has("x-evil")).toBe(false);
    expect(d.groups[0]!.has("x-evil")).toBe(false);
    expect(one(d.head, "To")).toBe("<a@b Bcc: x@y>");
  });

  test("control characters are stripped", () => {
    const d = parseDsn(buildDsn(input({ recipients: [rcpt({ diagnostic: "550 a\x00b\x1bc\x7fd\u2028e" })] })));
    expect(one(d.groups[1]!, "Diagnostic-Code")).toBe("smtp; 550 abcde");
  });
});
