// RFC 3461 §4.1 NOTIFY rules and the null reverse-path rule, as tables.

import { describe, expect, test } from "bun:test";
import { dsnKindOf, dsnRecipientsFor, notifyFlags, wantsDsn } from "../../src/delivery/dsn-notify.ts";
import type { DsnKind } from "../../src/delivery/dsn-notify.ts";

describe("wantsDsn", () => {
  // [stored NOTIFY, failure, delay, success]
  const table: [string | null, boolean, boolean, boolean][] = [
    [null, true, true, false], // absent: our default FAILURE,DELAY
    ["", true, true, false],
    ["NEVER", false, false, false],
    ["never", false, false, false],
    ["FAILURE", true, false, false],
    ["DELAY", false, true, false],
    ["SUCCESS", false, false, true],
    ["SUCCESS,FAILURE", true, false, true],
    ["SUCCESS,FAILURE,DELAY", true, true, true],
    ["FAILURE,DELAY", true, true, false],
  ];
  for (const [notify, failure, delay, success] of table) {
    test(`NOTIFY=${notify}`, () => {
      const got = (["failure", "delay", "success"] as DsnKind[]).map((k) => wantsDsn(k, notify));
      expect(got).toEqual([failure, delay, success]);
    });
  }

  test("an unreadable stored value falls back to the default", () => {
    expect(notifyFlags("BOGUS")).toEqual({ never: false, success: false, failure: true, delay: true });
  });
});

describe("dsnKindOf", () => {
  test("maps RFC 3464 actions to the NOTIFY occasions", () => {
    expect((["failed", "delayed", "delivered", "relayed", "expanded"] as const).map(dsnKindOf)).toEqual([
      "failure",
      "delay",
      "success",
      "success",
      "success",
    ]);
  });
});

describe("dsnRecipientsFor", () => {
  const rcpts = [
    { address: "a@x", notify: null },
    { address: "b@x", notify: "NEVER" },
    { address: "c@x", notify: "SUCCESS" },
    { address: "d@x", notify: "FAILURE,DELAY,SUCCESS" },
  ];
  const table: [DsnKind, string[]][] = [
    ["failure", ["a@x", "d@x"]],
    ["delay", ["a@x", "d@x"]],
    ["success", ["c@x", "d@x"]],
  ];
  for (const [kind, want] of table) {
    test(kind, () => expect(dsnRecipientsFor(kind, rcpts, "sender@y").map((r) => r.address)).toEqual(want));
  }

  test("never for the null reverse-path (RFC 5321 §4.5.5)", () => {
    for (const kind of ["failure", "delay", "success"] as DsnKind[]) {
      expect(dsnRecipientsFor(kind, rcpts, "")).toEqual([]);
      expect(dsnRecipientsFor(kind, rcpts, "<>")).toEqual([]);
    }
  });
});
