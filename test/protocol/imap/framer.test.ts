// Framer tests: lines, synchronizing / LITERAL+ / literal8 literals, every limit and refusal
// (RFC 9051 §4.3, §7.5; RFC 7888; RFC 3516), each input framed under every chunking.
import { describe, expect, test } from "bun:test";
import { CommandFramer } from "../../../src/protocol/imap/framer.ts";
import type { FramerLimits } from "../../../src/protocol/imap/framer.ts";
import { BIG, bytes, frameAll, latin1, record } from "./parse-helpers.ts";
import type { Recorded } from "./parse-helpers.ts";

const cmd = (segments: string[], literals: { data: string; binary?: boolean; sync?: boolean }[] = []): Recorded => {
  let line = segments[0];
  for (let i = 0; i < literals.length; i++) line += `\r\n${literals[i].data}${segments[i + 1]}`;
  return { type: "command", line, segments, literals: literals.map((l) => ({ data: l.data, binary: l.binary ?? false, sync: l.sync ?? true })) };
};
const cont: Recorded = { type: "continue", text: "Ready for literal data" };
const rej = (tag: string | null, response: string, fatal = false): Recorded => ({ type: "reject", tag, response, fatal });
const SMALL: FramerLimits = { maxLine: 40, maxLiteral: 10, maxCommand: 100, maxLiterals: 3 };

describe("lines", () => {
  test("CRLF and bare LF end a line; several commands in one input", () => {
    expect(frameAll("A1 NOOP\r\nA2 CAPABILITY\nA3 LOGOUT\r\n").events).toEqual([cmd(["A1 NOOP"]), cmd(["A2 CAPABILITY"]), cmd(["A3 LOGOUT"])]);
  });
  test("an empty line is a command with one empty segment", () => {
    expect(frameAll("\r\n\nA1 NOOP\r\n").events).toEqual([cmd([""]), cmd([""]), cmd(["A1 NOOP"])]);
  });
  test("a CR inside a line stays in it; only the CR before LF is removed", () => {
    expect(frameAll("A1 NO\rOP\r\r\n").events).toEqual([cmd(["A1 NO\rOP\r"])]);
  });
  test("an unfinished line yields nothing", () => {
    expect(frameAll("A1 NOOP").events).toEqual([]);
  });
  test("a line of exactly maxLine bytes passes, one more is refused and discarded", () => {
    const exact = `A1 ${"x".repeat(SMALL.maxLine - 3)}`;
    expect(frameAll(`${exact}\r\n`, SMALL).events).toEqual([cmd([exact])]);
    expect(frameAll(`${exact}\n`, SMALL).events).toEqual([cmd([exact])]);
    expect(frameAll(`${exact}y\r\nA2 NOOP\r\n`, SMALL).events).toEqual([rej("A1", "A1 BAD Line too long\r\n"), cmd(["A2 NOOP"])]);
    expect(frameAll(`${exact}yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\nA2 NOOP\r\n`, SMALL).events).toEqual([rej("A1", "A1 BAD Line too long\r\n"), cmd(["A2 NOOP"])]);
  });
  test("a 64 KiB line: exact passes, longer is refused without a tag when none is readable", () => {
    const limits = { ...BIG, maxLine: 65536 };
    const exact = `A1 ${"a".repeat(65533)}`;
    expect(frameAll(`${exact}\r\nA2 NOOP\r\n`, limits).events).toEqual([cmd([exact]), cmd(["A2 NOOP"])]);
    expect(frameAll(`${exact}b\r\nA2 NOOP\r\n`, limits).events).toEqual([rej("A1", "A1 BAD Line too long\r\n"), cmd(["A2 NOOP"])]);
    expect(frameAll(`${"(".repeat(200000)}\r\nA2 NOOP\r\n`, limits).events).toEqual([rej(null, "* BAD Line too long\r\n"), cmd(["A2 NOOP"])]);
  });
  test("an over-long line never grows the buffer past the cap", () => {
    const f = new CommandFramer(SMALL);
    const chunk = bytes("y".repeat(1000));
    f.push(bytes("A1 "));
    let events = 0;
    for (let i = 0; i < 1000; i++) {
      f.push(chunk);
      while (f.next() !== null) events++;
      expect(f.buffered).toBe(0);
    }
    f.push(bytes("\r\nA2 NOOP\r\n"));
    expect(record(f.next()!)).toEqual(cmd(["A2 NOOP"]));
    expect(events).toBe(1);
  });
});

describe("literals", () => {
  test("synchronizing literals: a continuation each, payloads spliced in place", () => {
    expect(frameAll("A1 LOGIN {3}\r\nbob {4}\r\np\r\ns\r\n").events).toEqual([cont, cont, cmd(["A1 LOGIN {3}", " {4}", ""], [{ data: "bob" }, { data: "p\r\ns" }])]);
  });
  test("LITERAL+ needs no continuation (RFC 7888 §3)", () => {
    expect(frameAll("A1 LOGIN {3+}\r\nbob {4+}\r\npass\r\n").events).toEqual([cmd(["A1 LOGIN {3+}", " {4+}", ""], [{ data: "bob", sync: false }, { data: "pass", sync: false }])]);
  });
  test("literal8 (RFC 3516 §4.3), synchronizing and not", () => {
    expect(frameAll("A1 APPEND x ~{3}\r\n\x00\x01\x02\r\nA2 APPEND x ~{1+}\r\nz\r\n").events).toEqual([
      cont,
      cmd(["A1 APPEND x ~{3}", ""], [{ data: "\x00\x01\x02", binary: true }]),
      cmd(["A2 APPEND x ~{1+}", ""], [{ data: "z", binary: true, sync: false }]),
    ]);
  });
  test("zero-length literals", () => {
    expect(frameAll("A1 LOGIN {0}\r\n {0+}\r\n\r\n").events).toEqual([cont, cmd(["A1 LOGIN {0}", " {0+}", ""], [{ data: "" }, { data: "", sync: false }])]);
  });
  test("leading zeros in a size", () => {
    expect(frameAll("A1 X {0003}\r\nabc\r\n").events).toEqual([cont, cmd(["A1 X {0003}", ""], [{ data: "abc" }])]);
  });
  test("a literal may hold CRLF, braces and a line of its own", () => {
    expect(frameAll("A1 X {13}\r\nA2 NOOP {1}\r\n\r\n").events).toEqual([cont, cmd(["A1 X {13}", ""], [{ data: "A2 NOOP {1}\r\n" }])]);
  });
  test("exactly maxLiteral passes; one more: NO [TOOBIG], command dropped, session goes on", () => {
    expect(frameAll(`A1 X {10}\r\n${"z".repeat(10)}\r\n`, SMALL).events).toEqual([cont, cmd(["A1 X {10}", ""], [{ data: "z".repeat(10) }])]);
    expect(frameAll("A1 X {11}\r\nA2 NOOP\r\n", SMALL).events).toEqual([rej("A1", "A1 NO [TOOBIG] Literal too large\r\n"), cmd(["A2 NOOP"])]);
  });
  test("a LITERAL+ over the limit is fatal (RFC 7888 §4): BAD [TOOBIG], no more events", () => {
    expect(frameAll("A1 X {11+}\r\nzzzzzzzzzzz\r\nA2 NOOP\r\n", SMALL).events).toEqual([rej("A1", "A1 BAD [TOOBIG] Literal too large\r\n", true)]);
  });
  test("absurd sizes are refused without allocating them", () => {
    expect(frameAll("A1 X {4294967295}\r\nA2 NOOP\r\n").events).toEqual([rej("A1", "A1 NO [TOOBIG] Literal too large\r\n"), cmd(["A2 NOOP"])]);
    expect(frameAll("A1 X {99999999999999999999999999999}\r\nA2 NOOP\r\n").events).toEqual([rej("A1", "A1 NO [TOOBIG] Literal too large\r\n"), cmd(["A2 NOOP"])]);
    expect(frameAll("A1 X {9999999999+}\r\nA2 NOOP\r\n").events).toEqual([rej("A1", "A1 BAD [TOOBIG] Literal too large\r\n", true)]);
    expect(frameAll("A1 X ~{4294967295+}\r\n").events).toEqual([rej("A1", "A1 BAD [TOOBIG] Literal too large\r\n", true)]);
  });
  test("a LITERAL+ marker whose size cannot be read is fatal", () => {
    for (const m of ["{x5+}", "{+}", "{5 +}", "{-1+}", "{ 5+}", `{${"1".repeat(80)}+}`]) {
      expect(frameAll(`A1 X ${m}\r\nA2 NOOP\r\n`).events).toEqual([rej("A1", "A1 BAD Invalid literal size\r\n", true)]);
    }
  });
  test("a '}' that ends an atom, or a malformed synchronizing marker, is a plain line", () => {
    for (const line of ["A1 LOGIN bob pa}", "A1 LOGIN bob pa+}", "A1 X {abc}", "A1 X {}", "A1 X { 5}", "A1 X 5}", `A1 X ${"1".repeat(80)}}`]) {
      expect(frameAll(`${line}\r\n`).events).toEqual([cmd([line])]);
    }
  });
  test("maxLiterals: the last allowed passes, one more is refused (BAD; fatal for LITERAL+)", () => {
    expect(frameAll("A1 X {1}\r\na {1}\r\nb {1}\r\nc\r\n", SMALL).events).toEqual([cont, cont, cont, cmd(["A1 X {1}", " {1}", " {1}", ""], [{ data: "a" }, { data: "b" }, { data: "c" }])]);
    expect(frameAll("A1 X {1}\r\na {1}\r\nb {1}\r\nc {1}\r\nA2 NOOP\r\n", SMALL).events).toEqual([cont, cont, cont, rej("A1", "A1 BAD Too many literals\r\n"), cmd(["A2 NOOP"])]);
    expect(frameAll("A1 X {1+}\r\na {1+}\r\nb {1+}\r\nc {1+}\r\nd\r\n", SMALL).events).toEqual([rej("A1", "A1 BAD Too many literals\r\n", true)]);
  });
  test("1000 literals in one command", () => {
    let input = "A1 ID (";
    for (let i = 0; i < 1000; i++) input += `{1+}\r\n${i % 10}${i < 999 ? " " : ""}`;
    input += ")\r\n";
    const { events } = frameAll(input);
    expect(events.length).toBe(1);
    const c = events[0] as { segments: string[]; literals: unknown[] };
    expect(c.segments.length).toBe(1001);
    expect(c.literals.length).toBe(1000);
  });
  test("maxCommand counts every segment and literal", () => {
    const limits = { ...SMALL, maxLiteral: 100, maxCommand: 30 };
    expect(frameAll(`A1 X {10}\r\n${"a".repeat(10)} {9}\r\nA2 NOOP\r\n`, limits).events).toEqual([cont, rej("A1", "A1 NO [TOOBIG] Literal too large\r\n"), cmd(["A2 NOOP"])]);
    expect(frameAll(`A1 X {10}\r\n${"a".repeat(10)} ${"b".repeat(20)}\r\nA2 NOOP\r\n`, limits).events).toEqual([cont, rej("A1", "A1 BAD Command too long\r\n"), cmd(["A2 NOOP"])]);
  });
  test("a too-long line after a literal is refused with the command's tag", () => {
    expect(frameAll(`T9 X {1}\r\na ${"b".repeat(60)}\r\nA2 NOOP\r\n`, SMALL).events).toEqual([cont, rej("T9", "T9 BAD Line too long\r\n"), cmd(["A2 NOOP"])]);
  });
});

describe("discarding a refused line", () => {
  const long = "x".repeat(100);
  test("a LITERAL+ after the over-long line is skipped, then the stream goes on", () => {
    expect(frameAll(`A1 X ${long} {5+}\r\nA3 NO more {3+}\r\nxyz\r\nA2 NOOP\r\n`, SMALL).events).toEqual([rej("A1", "A1 BAD Line too long\r\n"), cmd(["A2 NOOP"])]);
  });
  test("a synchronizing marker ends the refused command (the client sends no payload)", () => {
    expect(frameAll(`A1 X ${long} {5}\r\nA2 NOOP\r\n`, SMALL).events).toEqual([rej("A1", "A1 BAD Line too long\r\n"), cmd(["A2 NOOP"])]);
  });
  test("a huge LITERAL+ after a refused line is skipped by counting, never buffered", () => {
    const f = new CommandFramer(SMALL);
    f.push(bytes(`A1 X ${long} {1000000+}\r\n`));
    expect(record(f.next()!)).toEqual(rej("A1", "A1 BAD Line too long\r\n"));
    const chunk = new Uint8Array(10000).fill(10);
    for (let i = 0; i < 100; i++) {
      f.push(chunk);
      expect(f.next()).toBeNull();
    }
    f.push(bytes(" rest\r\nA2 NOOP\r\n"));
    expect(record(f.next()!)).toEqual(cmd(["A2 NOOP"]));
  });
  test("an unreadable LITERAL+ size after a refused line closes with BYE", () => {
    expect(frameAll(`A1 X ${long} {99999999999999999+}\r\nA2 NOOP\r\n`, SMALL).events).toEqual([
      rej("A1", "A1 BAD Line too long\r\n"),
      rej(null, "* BYE Cannot resynchronize the command stream\r\n", true),
    ]);
    expect(frameAll(`A1 X ${long} {x+}\r\nA2 NOOP\r\n`, SMALL).events).toEqual([rej("A1", "A1 BAD Line too long\r\n"), rej(null, "* BYE Cannot resynchronize the command stream\r\n", true)]);
  });
});

describe("control", () => {
  test("take() returns unframed bytes (STARTTLS injection) and starts afresh", () => {
    const f = new CommandFramer(BIG);
    f.push(bytes("A1 STARTTLS\r\nA2 LOGIN a b\r\nA3 NO"));
    expect(record(f.next()!)).toEqual(cmd(["A1 STARTTLS"]));
    expect(f.buffered).toBe(19);
    expect(latin1(f.take())).toBe("A2 LOGIN a b\r\nA3 NO");
    expect(f.next()).toBeNull();
    f.push(bytes("B1 NOOP\r\n"));
    expect(record(f.next()!)).toEqual(cmd(["B1 NOOP"]));
  });
  test("take() includes a partial line already read", () => {
    const f = new CommandFramer(BIG);
    f.push(bytes("A1 NO"));
    expect(f.next()).toBeNull();
    f.push(bytes("OP"));
    expect(latin1(f.take())).toBe("A1 NOOP");
  });
  test("setLimits applies to what is framed next (limits raised after LOGIN)", () => {
    const f = new CommandFramer(SMALL);
    f.push(bytes("A1 LOGIN a b\r\nA2 APPEND x {20}\r\n"));
    expect(record(f.next()!)).toEqual(cmd(["A1 LOGIN a b"]));
    f.setLimits({ maxLiteral: 100 });
    expect(f.limits.maxLiteral).toBe(100);
    expect(record(f.next()!)).toEqual(cont);
  });
  test("after a fatal refusal pushes are ignored", () => {
    const f = new CommandFramer(SMALL);
    f.push(bytes("A1 X {99+}\r\n"));
    expect(record(f.next()!).type).toBe("reject");
    f.push(bytes("A2 NOOP\r\n"));
    expect(f.next()).toBeNull();
    expect(f.buffered).toBe(0);
  });
  test("the command's segments and literals are views into its line", () => {
    const f = new CommandFramer(BIG);
    f.push(bytes("A1 LOGIN {1+}\r\na b\r\n"));
    const ev = f.next();
    if (ev?.type !== "command") throw new Error("expected a command");
    expect(ev.literals[0].data.buffer).toBe(ev.line.buffer);
    expect(ev.segments[1].buffer).toBe(ev.line.buffer);
  });
});
