// Tests of the IMAP ENVELOPE: address lists (groups, routes, legacy comments, RFC 2047 names),
// Sender/Reply-To defaults, raw strings, and the decoded subject, date and message-id.

import { describe, expect, test } from "bun:test";
import { parseAddressList } from "../../../src/protocol/mime/address.ts";
import { parseDate } from "../../../src/protocol/mime/date.ts";
import { parseMime } from "../../../src/protocol/mime/parse.ts";
import type { Address } from "../../../src/protocol/mime/types.ts";
import { msg } from "./helpers.ts";

const a = (name: string | null, mailbox: string | null, host: string | null): Address => ({ name, mailbox, host });
const START = (group: string) => a(null, group, null);
const END = a(null, null, null);

const addressCases: [string, Address[] | null][] = [
  ["user@example.com", [a(null, "user", "example.com")]],
  ["John Doe <john@example.com>", [a("John Doe", "john", "example.com")]],
  ['"Doe, John" <john@example.com>, jane@example.com', [a("Doe, John", "john", "example.com"), a(null, "jane", "example.com")]],
  ["john@example.com (John Doe)", [a("John Doe", "john", "example.com")]],
  ["<john@example.com> (John (the) Doe)", [a("John (the) Doe", "john", "example.com")]],
  ["=?UTF-8?B?w4lsaXNl?= <e@x.example>", [a("Élise", "e", "x.example")]],
  ["=?iso-8859-1?Q?Andr=E9?= =?iso-8859-1?Q?_Pirard?= <pirard@vm1.ulg.ac.be>", [a("André Pirard", "pirard", "vm1.ulg.ac.be")]],
  ['"=?utf-8?Q?J=C3=BCrgen?=" <j@x>', [a("Jürgen", "j", "x")]],
  ["Grüße <grüße@bücher.example>", [a("Grüße", "grüße", "bücher.example")]],
  ['"john doe"@example.com', [a(null, '"john doe"', "example.com")]],
  ["john . doe @ example . com", [a(null, "john.doe", "example.com")]],
  ["<@route1,@route2:user@host>", [a(null, "user", "host")]],
  ["user@[192.0.2.1]", [a(null, "user", "[192.0.2.1]")]],
  ["MAILER-DAEMON", [a(null, "MAILER-DAEMON", "")]],
  ["Null <>", [a("Null", "", "")]],
  // RFC 5322 §3.4 groups become start/end markers with host NIL (RFC 3501 §7.4.2).
  ["undisclosed-recipients:;", [START("undisclosed-recipients"), END]],
  [
    "A Group: a@x, B <b@y>; c@z",
    [START("A Group"), a(null, "a", "x"), a("B", "b", "y"), END, a(null, "c", "z")],
  ],
  ["Open: a@x", [START("Open"), a(null, "a", "x"), END]],
  ["a@x,, ,b@y,", [a(null, "a", "x"), a(null, "b", "y")]],
  ["Unclosed <a@x", [a("Unclosed", "a", "x")]],
  ["", null],
  ["   (just a comment)  ", null],
];

describe("parseAddressList", () => {
  for (const [input, expected] of addressCases) {
    test(JSON.stringify(input), () => expect(parseAddressList(input)).toEqual(expected));
  }
});

const dateCases: [string, string | null][] = [
  ["Tue, 1 Jul 2003 10:52:37 +0200", "2003-07-01T08:52:37.000Z"],
  ["Tue, 01 Jul 2003 10:52:37 +0200 (CEST)", "2003-07-01T08:52:37.000Z"],
  ["1 Jul 2003 10:52 -0130", "2003-07-01T12:22:00.000Z"],
  ["Fri, 21 Nov 97 09:55:06 GMT", "1997-11-21T09:55:06.000Z"],
  ["21 Nov 49 09:55:06 EST", "2049-11-21T14:55:06.000Z"],
  ["Thu, 13 Feb 1969 23:32 -0330 (Newfoundland Time)", "1969-02-14T03:02:00.000Z"],
  ["Tue Jul  1 10:52:37 2003", "2003-07-01T10:52:37.000Z"],
  ["Mon, 31 Dec 2012 23:59:60 +0000", "2012-12-31T23:59:59.000Z"],
  ["31 Feb 2020 10:00:00 +0000", null],
  ["1 Jul 2003 25:00:00 +0000", null],
  ["1 Jul 2003 10:00:00 +02", null],
  ["yesterday", null],
  ["", null],
];

describe("parseDate", () => {
  for (const [input, expected] of dateCases) {
    test(JSON.stringify(input), () => expect(parseDate(input)).toBe(expected));
  }
});

describe("envelope", () => {
  test("all fields, raw strings as written, first duplicate wins", () => {
    const raw = msg([
      "Date: Tue, 1 Jul 2003 10:52:37 +0200",
      "Subject: =?utf-8?Q?caf=C3=A9?=",
      "Subject: second subject",
      "From: Alice <alice@a.example>",
      "Sender: bot@a.example",
      "Reply-To: replies@a.example",
      "To: bob@b.example",
      "Cc: Carol <carol@c.example>",
      "Bcc: dave@d.example",
      "In-Reply-To: <parent@a.example>",
      "Message-ID: <  id@a.example> (comment)",
      "",
      "body",
    ]);
    const p = parseMime(raw);
    expect(p.envelope).toEqual({
      date: "Tue, 1 Jul 2003 10:52:37 +0200",
      subject: "=?utf-8?Q?caf=C3=A9?=",
      from: [a("Alice", "alice", "a.example")],
      sender: [a(null, "bot", "a.example")],
      replyTo: [a(null, "replies", "a.example")],
      to: [a(null, "bob", "b.example")],
      cc: [a("Carol", "carol", "c.example")],
      bcc: [a(null, "dave", "d.example")],
      inReplyTo: "<parent@a.example>",
      messageId: "<  id@a.example> (comment)",
    });
    expect(p.subject).toBe("café");
    expect(p.date).toBe("2003-07-01T08:52:37.000Z");
    expect(p.messageId).toBe("<  id@a.example>");
  });

  test("Sender and Reply-To default to From when absent or empty (RFC 3501 §7.4.2)", () => {
    const p = parseMime(msg(["From: a@x", "Reply-To:", "", ""]));
    expect(p.envelope.sender).toEqual([a(null, "a", "x")]);
    expect(p.envelope.replyTo).toEqual([a(null, "a", "x")]);
  });

  test("missing fields are null", () => {
    const p = parseMime(msg(["X-Other: 1", "", "b"]));
    expect(p.envelope).toEqual({
      date: null,
      subject: null,
      from: null,
      sender: null,
      replyTo: null,
      to: null,
      cc: null,
      bcc: null,
      inReplyTo: null,
      messageId: null,
    });
    expect([p.subject, p.date, p.messageId]).toEqual([null, null, null]);
  });

  test("a legacy Message-ID without angle brackets is kept as written", () => {
    expect(parseMime(msg(["Message-ID: legacy-id@host", "", ""])).messageId).toBe("legacy-id@host");
  });
});
