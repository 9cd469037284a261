// ENVELOPE serialisation (RFC 9051 §7.5.2, RFC 3501 §7.4.2) from parseMime's stored Envelope:
// the RFC 3501 §8 example, groups, encoded words, missing and 8-bit headers.

import { describe, expect, test } from "bun:test";
import { parseMime } from "../../../src/protocol/mime/parse.ts";
import type { Envelope } from "../../../src/protocol/mime/types.ts";
import { writeEnvelope } from "../../../src/protocol/imap/envelope.ts";
import { msg, render } from "./serialize-helpers.ts";

function envelopeOf(headers: string[], utf8 = false): string {
  const parsed = parseMime(msg([...headers, "", "body"]));
  return render((w) => writeEnvelope(w, parsed.envelope), utf8);
}

const NIL8 = "NIL NIL NIL NIL NIL NIL NIL NIL";

describe("ENVELOPE", () => {
  test("RFC 3501 §8 example", () => {
    const out = envelopeOf([
      "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)",
      "From: Terry Gray <gray@cac.washington.edu>",
      "Subject: IMAP4rev1 WG mtg summary and minutes",
      "To: imap@cac.washington.edu",
      "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>",
      "Message-Id: <B27397-0100000@cac.washington.edu>",
      "MIME-Version: 1.0",
      "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII",
    ]);
    expect(out).toBe(
      '("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" ' +
        '(("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ' +
        '(("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ' +
        '((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL ' +
        '"<B27397-0100000@cac.washington.edu>")',
    );
  });

  const cases: [string, string[], string, boolean?][] = [
    ["no headers at all", ["X-Nothing: 1"], `(NIL NIL ${NIL8})`],
    ["subject only", ["Subject: hi"], `(NIL "hi" NIL NIL NIL NIL NIL NIL NIL NIL)`],
    [
      "sender and reply-to given",
      ["From: a@x.org", "Sender: s@x.org", "Reply-To: r@x.org"],
      '(NIL NIL ((NIL NIL "a" "x.org")) ((NIL NIL "s" "x.org")) ((NIL NIL "r" "x.org")) NIL NIL NIL NIL NIL)',
    ],
    [
      "empty group (undisclosed recipients)",
      ["To: undisclosed-recipients:;"],
      '(NIL NIL NIL NIL NIL ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL)',
    ],
    [
      "group with members, then a plain address",
      ['Cc: Team: a@x.org, "B. Smith" <b@y.org>;, c@z.org'],
      '(NIL NIL NIL NIL NIL NIL ((NIL NIL "Team" NIL)(NIL NIL "a" "x.org")("B. Smith" NIL "b" "y.org")(NIL NIL NIL NIL)' +
        '(NIL NIL "c" "z.org")) NIL NIL NIL)',
    ],
    ["address without a domain keeps host as a string", ["To: root"], '(NIL NIL NIL NIL NIL ((NIL NIL "root" "")) NIL NIL NIL NIL)'],
    [
      "bcc, in-reply-to",
      ["Bcc: hidden@x.org", "In-Reply-To: <a@b>"],
      '(NIL NIL NIL NIL NIL NIL NIL ((NIL NIL "hidden" "x.org")) "<a@b>" NIL)',
    ],
    [
      "quotes and backslashes in names are escaped",
      ['From: "Doe, \\"JD\\" \\\\ John" <jd@x.org>'],
      '(NIL NIL (("Doe, \\"JD\\" \\\\ John" NIL "jd" "x.org")) (("Doe, \\"JD\\" \\\\ John" NIL "jd" "x.org")) ' +
        '(("Doe, \\"JD\\" \\\\ John" NIL "jd" "x.org")) NIL NIL NIL NIL NIL)',
    ],
    [
      "encoded-word subject is sent as written",
      ["Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?="],
      '(NIL "=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=" NIL NIL NIL NIL NIL NIL NIL NIL)',
    ],
    [
      "encoded-word name is re-encoded as UTF-8 for a 7-bit client",
      ["To: =?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>"],
      '(NIL NIL NIL NIL NIL (("Keld =?UTF-8?Q?J=C3=B8rn?= Simonsen" NIL "keld" "dkuug.dk")) NIL NIL NIL NIL)',
    ],
    [
      "encoded-word name is sent decoded with UTF8=ACCEPT",
      ["To: =?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>"],
      '(NIL NIL NIL NIL NIL (("Keld Jørn Simonsen" NIL "keld" "dkuug.dk")) NIL NIL NIL NIL)',
      true,
    ],
    [
      "8-bit subject and name, 7-bit client",
      ["Subject: Grüße", "To: Jörg <j@x.de>"],
      '(NIL "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=" NIL NIL NIL (("=?UTF-8?Q?J=C3=B6rg?=" NIL "j" "x.de")) NIL NIL NIL NIL)',
    ],
    [
      "8-bit subject and name, UTF8=ACCEPT",
      ["Subject: Grüße", "To: Jörg <j@x.de>"],
      '(NIL "Grüße" NIL NIL NIL (("Jörg" NIL "j" "x.de")) NIL NIL NIL NIL)',
      true,
    ],
    [
      "8-bit group name is encoded like a phrase",
      ["To: Équipe: a@x.fr;"],
      '(NIL NIL NIL NIL NIL ((NIL NIL "=?UTF-8?Q?=C3=89quipe?=" NIL)(NIL NIL "a" "x.fr")(NIL NIL NIL NIL)) NIL NIL NIL NIL)',
    ],
    [
      "folded subject is unfolded",
      ["Subject: a long", " folded subject"],
      '(NIL "a long folded subject" NIL NIL NIL NIL NIL NIL NIL NIL)',
    ],
  ];
  for (const [name, headers, expected, utf8] of cases) {
    test(name, () => expect(envelopeOf(headers, utf8 ?? false)).toBe(expected));
  }

  test("a very long subject goes as a literal", () => {
    const subject = "s".repeat(1200);
    const out = envelopeOf([`Subject: ${subject}`]);
    expect(out).toBe(`(NIL {1200}\r\n${subject} NIL NIL NIL NIL NIL NIL NIL NIL)`);
  });

  test("an 8-bit mailbox (EAI) without UTF8=ACCEPT is a literal, not mangled", () => {
    const env: Envelope = {
      date: null,
      subject: null,
      from: [{ name: null, mailbox: "用户", host: "例子.中国" }],
      sender: null,
      replyTo: null,
      to: null,
      cc: null,
      bcc: null,
      inReplyTo: null,
      messageId: null,
    };
    expect(render((w) => writeEnvelope(w, env))).toBe(`(NIL NIL ((NIL NIL {6}\r\n用户 {13}\r\n例子.中国)) ${"NIL ".repeat(6)}NIL)`);
    expect(render((w) => writeEnvelope(w, env), true)).toBe(`(NIL NIL ((NIL NIL "用户" "例子.中国")) ${"NIL ".repeat(6)}NIL)`);
  });
});
