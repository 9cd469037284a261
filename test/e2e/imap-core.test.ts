// IMAP transcripts for the core commands (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1): greeting,
// CAPABILITY, NOOP, LOGOUT, ID, NAMESPACE, CHECK, STARTTLS, LOGIN, AUTHENTICATE, ENABLE,
// SELECT/EXAMINE with CONDSTORE/QRESYNC, CLOSE, UNSELECT and FETCH on messages delivered over SMTP.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawImap } from "../helpers/imap-client.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { addAccount, findAccount } from "../../src/store/accounts.ts";
import { findMailbox } from "../../src/store/messages.ts";
import { storeFlags } from "../../src/store/imap-flags.ts";

const t: TestServer = await startTestServer({ auth: { allowPlaintextOnLoopback: true } });
const port = t.port("imap");
// Commands still answering the placeholder "NO [CANNOT] Not implemented yet": their tests wait.
const pending = await probePending(t);
afterAll(async () => {
  await t.stop();
});

// ---------------------------------------------------------------------------------------------
// Helpers (kept in this file: the e2e helpers folder belongs to the harness).

/** Delivers `raw` (LF or CRLF line ends) to `to` over the MX listener; asserts 250. */
async function deliver(to: string, raw: string): Promise<void> {
  const c = await RawSmtp.connect(t.port("mx"));
  try {
    expect((await c.reply()).code).toBe(220);
    expect((await c.cmd("EHLO client.test")).code).toBe(250);
    expect((await c.cmd("MAIL FROM:<bob@other.test>")).code).toBe(250);
    expect((await c.cmd(`RCPT TO:<${to}>`)).code).toBe(250);
    expect((await c.cmd("DATA")).code).toBe(354);
    const body = raw.replace(/\r?\n/g, "\r\n");
    expect((await c.cmd(body + (body.endsWith("\r\n") ? "" : "\r\n") + ".")).code).toBe(250);
    await c.cmd("QUIT");
  } finally {
    c.close();
  }
}

async function account(name: string): Promise<string> {
  const address = `${name}@example.test`;
  await addAccount(t.server.db, address, `${name}-pw`);
  return address;
}

async function inboxId(address: string): Promise<number> {
  const acct = await findAccount(t.server.db, address);
  return (await findMailbox(t.server.db, acct!.id, "INBOX"))!.id;
}

/** Logs in with LOGIN over the plaintext listener (allowed on loopback by this server's config). */
async function login(address: string): Promise<RawImap> {
  return RawImap.login(port, address, `${address.split("@")[0]}-pw`);
}

async function probePending(server: TestServer): Promise<Set<string>> {
  await addAccount(server.server.db, "probe@example.test", "probe-pw");
  const c = await RawImap.login(server.port("imap"), "probe@example.test", "probe-pw");
  const out = new Set<string>();
  const probes: [string, string][] = [
    ["LIST", 'LIST "" ""'],
    ["STATUS", "STATUS INBOX (MESSAGES)"],
    ["APPEND", "APPEND NoSuchMailbox {1+}\r\nx"],
    ["SELECT", "SELECT INBOX"],
    ["SEARCH", "SEARCH ALL"],
    ["STORE", "UID STORE 1 +FLAGS (\\Flagged)"],
    ["EXPUNGE", "EXPUNGE"],
  ];
  for (const [name, cmd] of probes) {
    const r = await c.cmd(cmd);
    if (r.text.includes("Not implemented yet")) out.add(name);
  }
  c.close();
  return out;
}

type Item = { value: string; form: "literal" | "literal8" | "quoted" | "list" | "atom" };

/** End of the IMAP value starting at s[i] (literal, literal8, quoted, list or atom). */
function valueEnd(s: string, i: number): number {
  const lit = /^~?\{(\d+)\+?\}\r\n/.exec(s.slice(i, i + 40));
  if (lit) return i + lit[0].length + Number(lit[1]);
  if (s[i] === '"') {
    i++;
    while (s[i] !== '"') i += s[i] === "\\" ? 2 : 1;
    return i + 1;
  }
  if (s[i] === "(") {
    i++;
    while (s[i] !== ")") {
      if (s[i] === " ") i++;
      else i = valueEnd(s, i);
    }
    return i + 1;
  }
  while (i < s.length && s[i] !== " " && s[i] !== ")" && s[i] !== "(") i++;
  return i;
}

function decode(raw: string): Item {
  const lit = /^(~?)\{(\d+)\+?\}\r\n/.exec(raw);
  if (lit) return { value: raw.slice(lit[0].length), form: lit[1] ? "literal8" : "literal" };
  if (raw.startsWith('"')) return { value: raw.slice(1, -1).replace(/\\(.)/g, "$1"), form: "quoted" };
  return { value: raw, form: raw.startsWith("(") ? "list" : "atom" };
}

/** The items of one `* n FETCH (...)` response (literals as raw latin1 bytes), keyed by name. */
function fetchItems(line: string): { seq: number; items: Map<string, Item> } {
  const m = /^\* (\d+) FETCH \(/.exec(line);
  if (!m) throw new Error(`not a FETCH response: ${line.slice(0, 120)}`);
  const items = new Map<string, Item>();
  let i = m[0].length;
  while (line[i] !== ")") {
    const k = i;
    while (line[i] !== " " && line[i] !== "[") i++;
    if (line[i] === "[") {
      i = line.indexOf("]", i) + 1;
      if (line[i] === "<") i = line.indexOf(">", i) + 1;
    }
    const key = line.slice(k, i);
    expect(line[i]).toBe(" ");
    const v = i + 1;
    i = valueEnd(line, v);
    if (items.has(key)) throw new Error(`${key} twice in ${line.slice(0, 120)}`);
    items.set(key, decode(line.slice(v, i)));
    if (line[i] === " ") i++;
  }
  // Nothing after the closing parenthesis.
  expect(i).toBe(line.length - 1);
  return { seq: Number(m[1]), items };
}

/** The single FETCH response of a command, parsed. */
function onlyFetch(r: { untagged: string[]; status: string; raw: string }): Map<string, Item> {
  expect(r.status).toBe("OK");
  const fetches = r.untagged.filter((l) => /^\* \d+ FETCH /.test(l));
  expect(fetches.length).toBe(1);
  return fetchItems(fetches[0]).items;
}

const latin1 = (s: string) => Buffer.from(s, "utf8").toString("latin1");

// ---------------------------------------------------------------------------------------------

describe("greeting, CAPABILITY, NOOP, LOGOUT, ID, NAMESPACE", () => {
  test("the greeting carries the pre-login capabilities; CAPABILITY repeats them", async () => {
    const c = await RawImap.connect(port);
    const greeting = await c.line();
    expect(greeting).toMatch(/^\* OK \[CAPABILITY [^\]]+\] /);
    const pre = greeting.slice("* OK [CAPABILITY ".length, greeting.indexOf("]")).split(" ");
    for (const cap of ["IMAP4rev1", "IMAP4rev2", "LITERAL+", "SASL-IR", "ENABLE", "IDLE", "STARTTLS", "AUTH=PLAIN"]) expect(pre).toContain(cap);
    // Plaintext is allowed on loopback by this config: no LOGINDISABLED (RFC 9051 §6.2.3).
    expect(pre).not.toContain("LOGINDISABLED");
    const r = await c.cmd("CAPABILITY");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual([`* CAPABILITY ${pre.join(" ")}`]);
    c.close();
  });

  test("after LOGIN the capability list changes: extensions in, STARTTLS and AUTH= out", async () => {
    const c = await RawImap.connect(port);
    await c.line();
    const r = await c.cmd("LOGIN alice@example.test alice-pw");
    expect(r.status).toBe("OK");
    const inOk = /^\[CAPABILITY ([^\]]+)\]/.exec(r.text)![1].split(" ");
    const cap = await c.cmd("CAPABILITY");
    const post = cap.untagged[0].slice("* CAPABILITY ".length).split(" ");
    expect(post).toEqual(inOk);
    for (const x of ["IMAP4rev1", "IMAP4rev2", "IDLE", "NAMESPACE", "UNSELECT", "ENABLE", "CONDSTORE", "QRESYNC", "BINARY", "ID", "LITERAL+"]) expect(post).toContain(x);
    expect(post.some((x) => /^APPENDLIMIT=\d+$/.test(x))).toBe(true);
    expect(post).not.toContain("STARTTLS");
    expect(post.some((x) => x.startsWith("AUTH="))).toBe(false);
    expect(post).not.toContain("LOGINDISABLED");
    c.close();
  });

  test("NOOP in every state; LOGOUT says BYE, completes, closes", async () => {
    const c = await RawImap.connect(port);
    await c.line();
    expect((await c.cmd("NOOP")).raw).toMatch(/^T1 OK /);
    await c.cmd("LOGIN alice@example.test alice-pw");
    expect((await c.cmd("NOOP")).status).toBe("OK");
    await c.cmd("SELECT INBOX");
    expect((await c.cmd("NOOP")).status).toBe("OK");
    const r = await c.cmd("LOGOUT");
    expect(r.untagged).toEqual(["* BYE Logging out"]);
    expect(r.status).toBe("OK");
    expect(await c.waitClosed()).toBe(true);
  });

  test("LOGOUT before authentication", async () => {
    const c = await RawImap.connect(port);
    await c.line();
    const r = await c.cmd("LOGOUT");
    expect(r.untagged[0]).toMatch(/^\* BYE /);
    expect(r.status).toBe("OK");
    expect(await c.waitClosed()).toBe(true);
  });

  test("ID (RFC 2971) with parameters and with NIL, in any state", async () => {
    const c = await RawImap.connect(port);
    await c.line();
    const r = await c.cmd('ID ("name" "test-client" "version" "1.0")');
    expect(r.status).toBe("OK");
    expect(r.untagged.length).toBe(1);
    expect(r.untagged[0]).toMatch(/^\* ID \(("[^"]*" "[^"]*" ?)+\)$/);
    expect(r.untagged[0]).toContain('"name" "Hikyaku"');
    expect((await c.cmd("ID NIL")).status).toBe("OK");
    // RFC 2971 §3.3: a field given twice may be refused.
    expect((await c.cmd('ID ("name" "a" "NAME" "b")')).status).toBe("BAD");
    await c.cmd("LOGIN alice@example.test alice-pw");
    expect((await c.cmd("ID NIL")).untagged[0]).toMatch(/^\* ID \(/);
    c.close();
  });

  test("NAMESPACE: one personal namespace with '/'", async () => {
    const c = await login("alice@example.test");
    const r = await c.cmd("NAMESPACE");
    expect(r.untagged).toEqual(['* NAMESPACE (("" "/")) NIL NIL']);
    expect(r.status).toBe("OK");
    c.close();
  });
});

describe("LOGIN and AUTHENTICATE", () => {
  test("LOGIN with atoms, quoted strings, synchronizing literals and LITERAL+", async () => {
    for (const form of [
      "LOGIN alice@example.test alice-pw",
      'LOGIN "alice@example.test" "alice-pw"',
      "LOGIN {18+}\r\nalice@example.test {8+}\r\nalice-pw",
    ]) {
      const c = await RawImap.connect(port);
      await c.line();
      const r = await c.cmd(form);
      expect(r.status).toBe("OK");
      expect(r.text).toMatch(/^\[CAPABILITY /);
      c.close();
    }
    // Synchronizing literals: the server asks for each with a continuation (RFC 9051 §7.5).
    const c = await RawImap.connect(port);
    await c.line();
    c.send("s1 LOGIN {18}\r\n");
    expect(await c.line()).toMatch(/^\+ /);
    c.send("alice@example.test {8}\r\n");
    expect(await c.line()).toMatch(/^\+ /);
    c.send("alice-pw\r\n");
    expect((await c.until("s1")).status).toBe("OK");
    c.close();
  });

  test("a wrong password or unknown user is NO [AUTHENTICATIONFAILED]; the session stays usable", async () => {
    const c = await RawImap.connect(port);
    await c.line();
    const r = await c.cmd("LOGIN alice@example.test wrong");
    expect(r.status).toBe("NO");
    expect(r.text).toMatch(/^\[AUTHENTICATIONFAILED\] /);
    const u = await c.cmd("LOGIN nobody@example.test x");
    expect(u.status).toBe("NO");
    expect(u.text).toMatch(/^\[AUTHENTICATIONFAILED\] /);
    expect((await c.cmd("LOGIN alice@example.test alice-pw")).status).toBe("OK");
    c.close();
  });

  test("AUTHENTICATE PLAIN with SASL-IR, and with an empty continuation first", async () => {
    const ir = Buffer.from("\0alice@example.test\0alice-pw").toString("base64");
    const c = await RawImap.connect(port);
    await c.line();
    const r = await c.cmd(`AUTHENTICATE PLAIN ${ir}`);
    expect(r.status).toBe("OK");
    expect(r.text).toMatch(/^\[CAPABILITY /);
    c.close();

    const d = await RawImap.connect(port);
    await d.line();
    d.send("p1 AUTHENTICATE PLAIN\r\n");
    expect(await d.line()).toBe("+ ");
    d.send(ir + "\r\n");
    expect((await d.until("p1")).status).toBe("OK");
    expect((await d.cmd("SELECT INBOX")).status).toBe("OK");
    d.close();
  });

  test("AUTHENTICATE LOGIN: Username:/Password: challenges", async () => {
    const c = await RawImap.connect(port);
    await c.line();
    c.send("l1 AUTHENTICATE LOGIN\r\n");
    expect(Buffer.from((await c.line()).slice(2), "base64").toString()).toBe("Username:");
    c.send(Buffer.from("alice@example.test").toString("base64") + "\r\n");
    expect(Buffer.from((await c.line()).slice(2), "base64").toString()).toBe("Password:");
    c.send(Buffer.from("alice-pw").toString("base64") + "\r\n");
    expect((await c.until("l1")).status).toBe("OK");
    c.close();
  });

  test("AUTHENTICATE SCRAM-SHA-256 (RFC 7677): proof accepted, server signature verified", async () => {
    const c = await RawImap.connect(port);
    await c.line();
    const nonce = randomBytes(18).toString("base64");
    const clientFirstBare = `n=alice@example.test,r=${nonce}`;
    c.send(`s1 AUTHENTICATE SCRAM-SHA-256 ${Buffer.from("n,," + clientFirstBare).toString("base64")}\r\n`);
    const first = await c.line();
    expect(first).toMatch(/^\+ /);
    const serverFirst = Buffer.from(first.slice(2), "base64").toString();
    const attrs = Object.fromEntries(serverFirst.split(",").map((kv) => [kv[0], kv.slice(2)]));
    expect(attrs.r.startsWith(nonce)).toBe(true);
    const salted = pbkdf2Sync("alice-pw", Buffer.from(attrs.s, "base64"), Number(attrs.i), 32, "sha256");
    const clientKey = createHmac("sha256", salted).update("Client Key").digest();
    const storedKey = createHash("sha256").update(clientKey).digest();
    const finalNoProof = `c=biws,r=${attrs.r}`;
    const authMessage = `${clientFirstBare},${serverFirst},${finalNoProof}`;
    const sig = createHmac("sha256", storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]));
    c.send(Buffer.from(`${finalNoProof},p=${proof.toString("base64")}`).toString("base64") + "\r\n");
    const final = await c.line();
    expect(final).toMatch(/^\+ /);
    const serverKey = createHmac("sha256", salted).update("Server Key").digest();
    const expected = createHmac("sha256", serverKey).update(authMessage).digest("base64");
    expect(Buffer.from(final.slice(2), "base64").toString()).toBe(`v=${expected}`);
    c.send("\r\n");
    const r = await c.until("s1");
    expect(r.status).toBe("OK");
    c.close();
  });

  test("AUTHENTICATE SCRAM-SHA-256 with a wrong password fails", async () => {
    const c = await RawImap.connect(port);
    await c.line();
    const nonce = randomBytes(18).toString("base64");
    const bare = `n=alice@example.test,r=${nonce}`;
    c.send(`s1 AUTHENTICATE SCRAM-SHA-256 ${Buffer.from("n,," + bare).toString("base64")}\r\n`);
    const serverFirst = Buffer.from((await c.line()).slice(2), "base64").toString();
    const attrs = Object.fromEntries(serverFirst.split(",").map((kv) => [kv[0], kv.slice(2)]));
    const salted = pbkdf2Sync("not-the-password", Buffer.from(attrs.s, "base64"), Number(attrs.i), 32, "sha256");
    const clientKey = createHmac("sha256", salted).update("Client Key").digest();
    const finalNoProof = `c=biws,r=${attrs.r}`;
    const sig = createHmac("sha256", createHash("sha256").update(clientKey).digest()).update(`${bare},${serverFirst},${finalNoProof}`).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]));
    c.send(Buffer.from(`${finalNoProof},p=${proof.toString("base64")}`).toString("base64") + "\r\n");
    const r = await c.until("s1");
    expect(r.status).toBe("NO");
    expect(r.text).toMatch(/^\[AUTHENTICATIONFAILED\]/);
    c.close();
  });

  test("AUTHENTICATE: '*' cancels (BAD), bad base64 is BAD, unknown mechanism is NO; session goes on", async () => {
    const c = await RawImap.connect(port);
    await c.line();
    c.send("a1 AUTHENTICATE PLAIN\r\n");
    expect(await c.line()).toBe("+ ");
    c.send("*\r\n");
    expect((await c.until("a1")).status).toBe("BAD");
    c.send("a2 AUTHENTICATE PLAIN\r\n");
    await c.line();
    c.send("!!not-base64!!\r\n");
    expect((await c.until("a2")).status).toBe("BAD");
    expect((await c.cmd("AUTHENTICATE PLAIN %%%%")).status).toBe("BAD");
    expect((await c.cmd("AUTHENTICATE X-UNKNOWN")).status).toBe("NO");
    expect((await c.cmd("NOOP")).status).toBe("OK");
    expect((await c.cmd("LOGIN alice@example.test alice-pw")).status).toBe("OK");
    c.close();
  });
});

describe("STARTTLS", () => {
  test("upgrade on the plaintext port: fresh CAPABILITY without STARTTLS, then LOGIN", async () => {
    const c = await RawImap.connect(port);
    await c.line();
    const r = await c.cmd("STARTTLS");
    expect(r.status).toBe("OK");
    await c.startTls();
    const cap = await c.cmd("CAPABILITY");
    expect(cap.untagged[0]).not.toContain("STARTTLS");
    expect(cap.untagged[0]).toContain("AUTH=PLAIN");
    expect((await c.cmd("STARTTLS")).status).toBe("BAD");
    expect((await c.cmd("LOGIN alice@example.test alice-pw")).status).toBe("OK");
    expect((await c.cmd("SELECT INBOX")).status).toBe("OK");
    c.close();
  });

  test("STARTTLS over implicit TLS (993) is refused; TLS 1.2+ is negotiated there", async () => {
    const c = await RawImap.connect(t.port("imaps"), { tls: true });
    const greeting = await c.line();
    expect(greeting).not.toContain("STARTTLS");
    expect((await c.cmd("STARTTLS")).status).toBe("BAD");
    expect((await c.cmd("LOGIN alice@example.test alice-pw")).status).toBe("OK");
    c.close();
  });
});

describe("commands in the wrong state are BAD (RFC 9051 §6)", () => {
  const expectState = (r: { status: string; text: string }, cmd: string) => {
    expect({ cmd, status: r.status }).toEqual({ cmd, status: "BAD" });
    expect(r.text).toContain("not valid in this state");
  };

  test("not authenticated", async () => {
    const c = await RawImap.connect(port);
    await c.line();
    for (const cmd of ["SELECT INBOX", "EXAMINE INBOX", "ENABLE IMAP4rev2", "IDLE", "NAMESPACE", "CREATE x", "DELETE x", "RENAME x y", "SUBSCRIBE x", 'LIST "" *', 'LSUB "" *', "STATUS INBOX (MESSAGES)", "APPEND INBOX {1+}\r\nx", "CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "SEARCH ALL", "FETCH 1 FLAGS", "UID FETCH 1 FLAGS", "STORE 1 +FLAGS (\\Seen)", "COPY 1 x", "MOVE 1 x", "UID EXPUNGE 1"]) {
      expectState(await c.cmd(cmd), cmd);
    }
    expect((await c.cmd("LOGIN alice@example.test alice-pw")).status).toBe("OK");
    c.close();
  });

  test("authenticated", async () => {
    const c = await login("alice@example.test");
    for (const cmd of ["LOGIN alice@example.test alice-pw", "AUTHENTICATE PLAIN", "STARTTLS", "CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "SEARCH ALL", "FETCH 1 FLAGS", "UID FETCH 1:* FLAGS", "STORE 1 +FLAGS (\\Seen)", "COPY 1 x", "MOVE 1 x", "UID EXPUNGE 1"]) {
      expectState(await c.cmd(cmd), cmd);
    }
    c.close();
  });

  test("selected", async () => {
    const c = await login("alice@example.test");
    expect((await c.cmd("SELECT INBOX")).status).toBe("OK");
    for (const cmd of ["LOGIN alice@example.test alice-pw", "AUTHENTICATE PLAIN", "STARTTLS"]) expectState(await c.cmd(cmd), cmd);
    // Leaving the selected state: CLOSE and UNSELECT are then wrong.
    expect((await c.cmd("UNSELECT")).status).toBe("OK");
    expectState(await c.cmd("CLOSE"), "CLOSE");
    expectState(await c.cmd("FETCH 1:* FLAGS"), "FETCH");
    c.close();
  });

  test("unknown commands and syntax errors are BAD with the tag; the session goes on", async () => {
    const c = await login("alice@example.test");
    const r = await c.cmd("XYZZY");
    expect(r.status).toBe("BAD");
    expect((await c.cmd("SELECT")).status).toBe("BAD");
    expect((await c.cmd("FETCH")).status).toBe("BAD");
    expect((await c.cmd("NOOP extra")).status).toBe("BAD");
    expect((await c.cmd("NOOP")).status).toBe("OK");
    c.close();
  });
});

describe("ENABLE (RFC 5161) and IMAP4rev2", () => {
  test("ENABLE answers * ENABLED with what it newly enabled only", async () => {
    const c = await login("alice@example.test");
    let r = await c.cmd("ENABLE IMAP4rev2");
    expect(r.untagged).toEqual(["* ENABLED IMAP4rev2"]);
    expect(r.status).toBe("OK");
    r = await c.cmd("ENABLE IMAP4rev2 X-UNKNOWN");
    expect(r.untagged).toEqual(["* ENABLED"]);
    r = await c.cmd("ENABLE condstore qresync");
    expect(r.untagged).toEqual(["* ENABLED CONDSTORE QRESYNC"]);
    c.close();
  });
});

describe("SELECT and EXAMINE", () => {
  let addr: string;
  beforeAll(async () => {
    addr = await account("sel");
    await deliver(addr, "Subject: one\n\nfirst\n");
    await deliver(addr, "Subject: two\n\nsecond\n");
  });

  test("rev1 SELECT: EXISTS, RECENT, FLAGS, PERMANENTFLAGS, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, UNSEEN, READ-WRITE", async () => {
    const c = await login(addr);
    const r = await c.cmd("SELECT INBOX");
    expect(r.status).toBe("OK");
    expect(r.text).toMatch(/^\[READ-WRITE\] /);
    const u = r.untagged;
    expect(u).toContain("* 2 EXISTS");
    expect(u).toContain("* 0 RECENT");
    expect(u).toContain("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)");
    expect(u.find((l) => l.startsWith("* OK [PERMANENTFLAGS "))).toMatch(/^\* OK \[PERMANENTFLAGS \(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\\*\)\]/);
    expect(u.find((l) => l.startsWith("* OK [UIDVALIDITY "))).toMatch(/^\* OK \[UIDVALIDITY [1-9]\d*\]/);
    expect(u.find((l) => l.startsWith("* OK [UIDNEXT "))).toMatch(/^\* OK \[UIDNEXT 3\]/);
    expect(u.find((l) => l.startsWith("* OK [HIGHESTMODSEQ "))).toMatch(/^\* OK \[HIGHESTMODSEQ [1-9]\d*\]/);
    expect(u.find((l) => l.startsWith("* OK [UNSEEN "))).toMatch(/^\* OK \[UNSEEN 1\]/);
    // rev1 has no LIST in SELECT.
    expect(u.some((l) => l.startsWith("* LIST"))).toBe(false);
    // UIDs 1 and 2, in order.
    const f = await c.cmd("FETCH 1:* (UID)");
    expect(f.untagged).toEqual(["* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)"]);
    c.close();
  });

  test("UIDVALIDITY is stable across sessions; UIDNEXT follows deliveries", async () => {
    const a = await login(addr);
    const b = await login(addr);
    const ra = await a.cmd("EXAMINE INBOX");
    const rb = await b.cmd("EXAMINE INBOX");
    const uv = (r: { untagged: string[] }) => r.untagged.find((l) => l.includes("[UIDVALIDITY"));
    expect(uv(ra)).toBe(uv(rb)!);
    a.close();
    b.close();
  });

  test("rev2 SELECT (after ENABLE IMAP4rev2): no RECENT, no UNSEEN, a LIST response", async () => {
    const c = await login(addr);
    await c.cmd("ENABLE IMAP4rev2");
    const r = await c.cmd("SELECT INBOX");
    expect(r.status).toBe("OK");
    expect(r.untagged).toContain("* 2 EXISTS");
    expect(r.untagged.some((l) => / RECENT$/.test(l))).toBe(false);
    expect(r.untagged.some((l) => l.startsWith("* OK [UNSEEN"))).toBe(false);
    // RFC 9051 §6.3.2: the mailbox's LIST response (the name as an astring: atom or quoted).
    expect(r.untagged.filter((l) => /^\* LIST \(\) "\/" (INBOX|"INBOX")$/.test(l)).length).toBe(1);
    for (const code of ["PERMANENTFLAGS", "UIDVALIDITY", "UIDNEXT"]) expect(r.untagged.some((l) => l.startsWith(`* OK [${code} `))).toBe(true);
    expect(r.untagged).toContain("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)");
    // A second SELECT first reports that the previous mailbox was closed (RFC 9051 §7.1).
    const again = await c.cmd("EXAMINE INBOX");
    expect(again.untagged[0]).toMatch(/^\* OK \[CLOSED\]/);
    c.close();
  });

  test("EXAMINE is read-only: PERMANENTFLAGS (), READ-ONLY, and a body FETCH does not set \\Seen", async () => {
    const c = await login(addr);
    const r = await c.cmd("EXAMINE INBOX");
    expect(r.status).toBe("OK");
    expect(r.text).toMatch(/^\[READ-ONLY\] /);
    expect(r.untagged.find((l) => l.includes("PERMANENTFLAGS"))).toMatch(/^\* OK \[PERMANENTFLAGS \(\)\]/);
    const f = onlyFetch(await c.cmd("FETCH 1 (BODY[TEXT] FLAGS)"));
    expect(f.get("BODY[TEXT]")!.value).toBe("first\r\n");
    expect(f.get("FLAGS")!.value).not.toContain("\\Seen");
    expect(onlyFetch(await c.cmd("FETCH 1 FLAGS")).get("FLAGS")!.value).toBe("()");
    c.close();
  });

  test("SELECT of a missing mailbox is NO [NONEXISTENT] and leaves no mailbox selected", async () => {
    const c = await login(addr);
    expect((await c.cmd("SELECT INBOX")).status).toBe("OK");
    const r = await c.cmd("SELECT No/Such/Box");
    expect(r.status).toBe("NO");
    expect(r.text).toMatch(/^\[NONEXISTENT\]/);
    expect((await c.cmd("FETCH 1 FLAGS")).status).toBe("BAD");
    c.close();
  });

  test("SELECT (CONDSTORE): MODSEQ in every FETCH; CHANGEDSINCE filters", async () => {
    const c = await login(addr);
    const r = await c.cmd("SELECT INBOX (CONDSTORE)");
    const hms = Number(/HIGHESTMODSEQ (\d+)/.exec(r.raw)![1]);
    const f = await c.cmd("FETCH 1:* (FLAGS)");
    expect(f.untagged.length).toBe(2);
    for (const l of f.untagged) expect(l).toMatch(/MODSEQ \(\d+\)\)$/);
    const modseqs = f.untagged.map((l) => Number(/MODSEQ \((\d+)\)/.exec(l)![1]));
    expect(Math.max(...modseqs)).toBeLessThanOrEqual(hms);
    expect((await c.cmd(`FETCH 1:* (FLAGS) (CHANGEDSINCE ${hms})`)).untagged).toEqual([]);
    expect((await c.cmd(`FETCH 1:* (FLAGS) (CHANGEDSINCE ${Math.min(...modseqs)})`)).untagged.length).toBe(modseqs.filter((m) => m > Math.min(...modseqs)).length);
    // VANISHED needs QRESYNC (RFC 7162 §3.2.6).
    expect((await c.cmd(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)`)).status).toBe("BAD");
    c.close();
  });

  test("SELECT ... (QRESYNC ...) without ENABLE QRESYNC is BAD", async () => {
    const c = await login(addr);
    const r = await c.cmd("SELECT INBOX (QRESYNC (1 1))");
    expect(r.status).toBe("BAD");
    c.close();
  });
});

describe("new messages while selected", () => {
  let addr: string;
  beforeAll(async () => {
    addr = await account("live");
    await deliver(addr, "Subject: one\n\nfirst\n");
  });

  test("rev1: NOOP announces EXISTS and RECENT; the new message is \\Recent to this session", async () => {
    const c = await login(addr);
    await c.cmd("SELECT INBOX");
    // Not yet announced: the message number is out of range (RFC 9051 §7.5.1 keeps numbers stable).
    await deliver(addr, "Subject: two\n\nsecond\n");
    const n = await c.cmd("NOOP");
    expect(n.untagged).toEqual(["* 2 EXISTS", "* 1 RECENT"]);
    const f = onlyFetch(await c.cmd("FETCH 2 (FLAGS UID)"));
    expect(f.get("FLAGS")!.value).toBe("(\\Recent)");
    expect(f.get("UID")!.value).toBe("2");
    c.close();
  });

  test("rev2: NOOP announces EXISTS only; no \\Recent flag", async () => {
    const c = await login(addr);
    await c.cmd("ENABLE IMAP4rev2");
    const s = await c.cmd("SELECT INBOX");
    const exists = Number(/^\* (\d+) EXISTS$/m.exec(s.untagged.join("\n"))![1]);
    await deliver(addr, "Subject: three\n\nthird\n");
    const n = await c.cmd("NOOP");
    expect(n.untagged).toEqual([`* ${exists + 1} EXISTS`]);
    const f = onlyFetch(await c.cmd(`FETCH ${exists + 1} (FLAGS)`));
    expect(f.get("FLAGS")!.value).toBe("()");
    c.close();
  });

  test("a message number beyond EXISTS is BAD; a UID range that matches nothing is OK and empty", async () => {
    const c = await login(addr);
    const s = await c.cmd("SELECT INBOX");
    const exists = Number(/^\* (\d+) EXISTS$/m.exec(s.untagged.join("\n"))![1]);
    expect((await c.cmd(`FETCH ${exists + 1} FLAGS`)).status).toBe("BAD");
    const u = await c.cmd("UID FETCH 999:1000 FLAGS");
    expect(u.status).toBe("OK");
    expect(u.untagged).toEqual([]);
    c.close();
  });
});

describe("FETCH on a delivered multipart message", () => {
  let addr: string;
  const MESSAGE = [
    "From: Bob Sender <bob@other.test>",
    'To: Alice <alice@example.test>, "Carol C." <carol@example.test>',
    "Cc: dave@example.test",
    "Subject: Quarterly report",
    "Date: Mon, 01 Jan 2024 10:00:00 +0000",
    "Message-ID: <m1@other.test>",
    "In-Reply-To: <m0@other.test>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="XYZ"',
    "",
    "This is a multi-part message.",
    "--XYZ",
    'Content-Type: multipart/alternative; boundary="ALT"',
    "",
    "--ALT",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "Hello w=C3=B6rld",
    "--ALT",
    "Content-Type: text/html; charset=utf-8",
    "",
    "<p>Hello</p>",
    "--ALT--",
    "--XYZ",
    'Content-Type: application/octet-stream; name="a.bin"',
    "Content-Transfer-Encoding: base64",
    'Content-Disposition: attachment; filename="a.bin"',
    "",
    "AAECAwQFBgc=",
    "--XYZ",
    "Content-Type: message/rfc822",
    "",
    "From: inner@other.test",
    "Subject: Inner",
    "",
    "inner body",
    "--XYZ--",
    "",
  ].join("\r\n");
  let raw: string;
  let header: string;
  let text: string;

  beforeAll(async () => {
    addr = await account("fetch");
    await deliver(addr, MESSAGE);
    const c = await login(addr);
    await c.cmd("EXAMINE INBOX");
    raw = onlyFetch(await c.cmd("FETCH 1 BODY.PEEK[]")).get("BODY[]")!.value;
    c.close();
    const split = raw.indexOf("\r\n\r\n") + 4;
    header = raw.slice(0, split);
    text = raw.slice(split);
  });

  test("BODY[] is the stored message: trace headers on top of exactly what was sent", () => {
    expect(raw.startsWith("Return-Path: <bob@other.test>\r\nReceived: ")).toBe(true);
    expect(raw.endsWith(MESSAGE)).toBe(true);
  });

  test("FLAGS, INTERNALDATE, RFC822.SIZE, UID, ENVELOPE", async () => {
    const c = await login(addr);
    await c.cmd("EXAMINE INBOX");
    const f = onlyFetch(await c.cmd("FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE UID ENVELOPE)"));
    expect(f.get("FLAGS")).toEqual({ value: "()", form: "list" });
    // date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
    expect(f.get("INTERNALDATE")!.form).toBe("quoted");
    expect(f.get("INTERNALDATE")!.value).toMatch(/^[ \d]\d-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{4} \d\d:\d\d:\d\d [+-]\d{4}$/);
    const d = f.get("INTERNALDATE")!.value;
    const when = Date.parse(d.replace(/^(\S+)-(\S+)-(\S+) /, "$2 $1 $3 "));
    expect(Math.abs(when - Date.now())).toBeLessThan(10 * 60_000);
    expect(f.get("RFC822.SIZE")!.value).toBe(String(raw.length));
    expect(f.get("UID")!.value).toBe("1");
    expect(f.get("ENVELOPE")!.value).toBe(
      '("Mon, 01 Jan 2024 10:00:00 +0000" "Quarterly report" (("Bob Sender" NIL "bob" "other.test")) (("Bob Sender" NIL "bob" "other.test")) (("Bob Sender" NIL "bob" "other.test")) (("Alice" NIL "alice" "example.test")("Carol C." NIL "carol" "example.test")) ((NIL NIL "dave" "example.test")) NIL "<m0@other.test>" "<m1@other.test>")',
    );
    c.close();
  });

  test("BODY and BODYSTRUCTURE of a nested multipart with an attachment and an encapsulated message", async () => {
    const c = await login(addr);
    await c.cmd("EXAMINE INBOX");
    const f = onlyFetch(await c.cmd("FETCH 1 (BODY BODYSTRUCTURE)"));
    const inner = "From: inner@other.test\r\nSubject: Inner\r\n\r\ninner body";
    const innerEnv = '(NIL "Inner" ((NIL NIL "inner" "other.test")) ((NIL NIL "inner" "other.test")) ((NIL NIL "inner" "other.test")) NIL NIL NIL NIL NIL)';
    expect(f.get("BODY")!.value).toBe(
      "(" +
        '(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 16 1)("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 12 1) "ALTERNATIVE")' +
        '("APPLICATION" "OCTET-STREAM" ("NAME" "a.bin") NIL NIL "BASE64" 12)' +
        `("MESSAGE" "RFC822" NIL NIL NIL "7BIT" ${inner.length} ${innerEnv} ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 10 1) 4)` +
        ' "MIXED")',
    );
    expect(f.get("BODYSTRUCTURE")!.value).toBe(
      "(" +
        '(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 16 1 NIL NIL NIL NIL)("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 12 1 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "ALT") NIL NIL NIL)' +
        '("APPLICATION" "OCTET-STREAM" ("NAME" "a.bin") NIL NIL "BASE64" 12 NIL ("ATTACHMENT" ("FILENAME" "a.bin")) NIL NIL)' +
        `("MESSAGE" "RFC822" NIL NIL NIL "7BIT" ${inner.length} ${innerEnv} ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL)` +
        ' "MIXED" ("BOUNDARY" "XYZ") NIL NIL NIL)',
    );
    c.close();
  });

  test("BODY.PEEK sections: HEADER, HEADER.FIELDS(.NOT), TEXT, MIME, part numbers, encapsulated parts", async () => {
    const c = await login(addr);
    await c.cmd("SELECT INBOX");
    const f = onlyFetch(
      await c.cmd(
        "FETCH 1 (BODY.PEEK[HEADER] BODY.PEEK[HEADER.FIELDS (Subject From)] BODY.PEEK[HEADER.FIELDS.NOT (Received Return-Path)] BODY.PEEK[TEXT] BODY.PEEK[1] BODY.PEEK[1.1] BODY.PEEK[1.1.MIME] BODY.PEEK[1.2] BODY.PEEK[2] BODY.PEEK[2.MIME] BODY.PEEK[3] BODY.PEEK[3.HEADER] BODY.PEEK[3.TEXT] BODY.PEEK[3.1])",
      ),
    );
    expect(f.get("BODY[HEADER]")).toEqual({ value: header, form: "literal" });
    // Field order is the message's, not the request's; the blank line that ends a header is included.
    expect(f.get("BODY[HEADER.FIELDS (SUBJECT FROM)]")!.value).toBe("From: Bob Sender <bob@other.test>\r\nSubject: Quarterly report\r\n\r\n");
    const notTrace = f.get("BODY[HEADER.FIELDS.NOT (RECEIVED RETURN-PATH)]")!.value;
    expect(notTrace).toBe(MESSAGE.slice(0, MESSAGE.indexOf("\r\n\r\n") + 4));
    expect(f.get("BODY[TEXT]")!.value).toBe(text);
    expect(f.get("BODY[1]")!.value).toBe(
      "--ALT\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHello w=C3=B6rld\r\n--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello</p>\r\n--ALT--",
    );
    expect(f.get("BODY[1.1]")!.value).toBe("Hello w=C3=B6rld");
    expect(f.get("BODY[1.1.MIME]")!.value).toBe("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
    expect(f.get("BODY[1.2]")!.value).toBe("<p>Hello</p>");
    expect(f.get("BODY[2]")!.value).toBe("AAECAwQFBgc=");
    expect(f.get("BODY[2.MIME]")!.value).toBe('Content-Type: application/octet-stream; name="a.bin"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="a.bin"\r\n\r\n');
    expect(f.get("BODY[3]")!.value).toBe("From: inner@other.test\r\nSubject: Inner\r\n\r\ninner body");
    expect(f.get("BODY[3.HEADER]")!.value).toBe("From: inner@other.test\r\nSubject: Inner\r\n\r\n");
    expect(f.get("BODY[3.TEXT]")!.value).toBe("inner body");
    expect(f.get("BODY[3.1]")!.value).toBe("inner body");
    // No PEEK'd section set \Seen.
    expect(onlyFetch(await c.cmd("FETCH 1 FLAGS")).get("FLAGS")!.value).toBe("()");
    c.close();
  });

  test("partial fetches: <origin.size>, origin past the end, answered with the origin only", async () => {
    const c = await login(addr);
    await c.cmd("EXAMINE INBOX");
    const f = onlyFetch(await c.cmd("FETCH 1 (BODY.PEEK[TEXT]<0.20> BODY.PEEK[]<5.10> BODY.PEEK[1.1]<6.100> BINARY.PEEK[1.1]<6.3>)"));
    expect(f.get("BODY[TEXT]<0>")!.value).toBe(text.slice(0, 20));
    expect(f.get("BODY[]<5>")!.value).toBe(raw.slice(5, 15));
    expect(f.get("BODY[1.1]<6>")!.value).toBe("w=C3=B6rld");
    expect(f.get("BINARY[1.1]<6>")!.value).toBe(latin1("wö"));
    const past = onlyFetch(await c.cmd(`FETCH 1 (BODY.PEEK[]<${raw.length + 10}.5>)`));
    expect(past.get(`BODY[]<${raw.length + 10}>`)!.value).toBe("");
    c.close();
  });

  test("BINARY (RFC 3516): decoded content, literal8 for NUL, BINARY.SIZE", async () => {
    const c = await login(addr);
    await c.cmd("EXAMINE INBOX");
    const f = onlyFetch(await c.cmd("FETCH 1 (BINARY.PEEK[1.1] BINARY.SIZE[1.1] BINARY.PEEK[1.2] BINARY.PEEK[2] BINARY.SIZE[2])"));
    expect(f.get("BINARY[1.1]")!.value).toBe(latin1("Hello wörld"));
    expect(f.get("BINARY.SIZE[1.1]")!.value).toBe(String(Buffer.byteLength("Hello wörld")));
    expect(f.get("BINARY[1.2]")!.value).toBe("<p>Hello</p>");
    // Decoded bytes 00..07 hold a NUL: only literal8 may carry them (RFC 3516 §4.2).
    expect(f.get("BINARY[2]")).toEqual({ value: "\x00\x01\x02\x03\x04\x05\x06\x07", form: "literal8" });
    expect(f.get("BINARY.SIZE[2]")!.value).toBe("8");
    c.close();
  });

  test("RFC822, RFC822.HEADER, RFC822.TEXT keep their names (RFC 3501 §6.4.5)", async () => {
    const c = await login(addr);
    await c.cmd("EXAMINE INBOX");
    const f = onlyFetch(await c.cmd("FETCH 1 (RFC822.HEADER RFC822.TEXT RFC822)"));
    expect(f.get("RFC822.HEADER")!.value).toBe(header);
    expect(f.get("RFC822.TEXT")!.value).toBe(text);
    expect(f.get("RFC822")!.value).toBe(raw);
    c.close();
  });

  test("macros ALL, FAST, FULL expand to their attributes", async () => {
    const c = await login(addr);
    await c.cmd("EXAMINE INBOX");
    expect([...onlyFetch(await c.cmd("FETCH 1 FAST")).keys()].sort()).toEqual(["FLAGS", "INTERNALDATE", "RFC822.SIZE"]);
    expect([...onlyFetch(await c.cmd("FETCH 1 ALL")).keys()].sort()).toEqual(["ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822.SIZE"]);
    expect([...onlyFetch(await c.cmd("FETCH 1 FULL")).keys()].sort()).toEqual(["BODY", "ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822.SIZE"]);
    c.close();
  });

  test("UID FETCH always carries UID; MODSEQ on request", async () => {
    const c = await login(addr);
    await c.cmd("EXAMINE INBOX");
    const f = onlyFetch(await c.cmd("UID FETCH 1 (FLAGS)"));
    expect(f.get("UID")!.value).toBe("1");
    const m = onlyFetch(await c.cmd("FETCH 1 (MODSEQ)"));
    expect(m.get("MODSEQ")!.value).toMatch(/^\([1-9]\d*\)$/);
    c.close();
  });

  test("non-existent sections: empty or NIL, never an error", async () => {
    const c = await login(addr);
    await c.cmd("EXAMINE INBOX");
    const f = onlyFetch(await c.cmd("FETCH 1 (BODY.PEEK[9] BODY.PEEK[2.HEADER])"));
    for (const k of ["BODY[9]", "BODY[2.HEADER]"]) expect(["", "NIL"]).toContain(f.get(k)!.value);
    c.close();
  });
});

describe("ENVELOPE edge cases", () => {
  let addr: string;
  beforeAll(async () => {
    addr = await account("envelope");
    await deliver(
      addr,
      [
        'From: "Quote \\"Me\\" \\\\ back" <q@other.test>',
        "To: undisclosed-recipients:;",
        'Cc: Group: a@x.test, "B b" <b@y.test>;, c@z.test',
        'Subject: =?UTF-8?B?R3LDvMOfZQ==?= and "quotes" \\ backslash',
        "",
        "body",
      ].join("\n"),
    );
    await deliver(addr, ["From: Jörg <joerg@other.test>", "Subject: Grüße raw", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", "", "Grüße"].join("\n"));
    await deliver(addr, ["Subject: folded", " continuation", "", ""].join("\n"));
  });

  test("quoting, groups (RFC 9051 §7.5.2), a folded Subject, missing fields as NIL", async () => {
    const c = await login(addr);
    await c.cmd("EXAMINE INBOX");
    const f = await c.cmd("FETCH 1,3 (ENVELOPE)");
    expect(fetchItems(f.untagged[0]).items.get("ENVELOPE")!.value).toBe(
      '(NIL "=?UTF-8?B?R3LDvMOfZQ==?= and \\"quotes\\" \\\\ backslash" (("Quote \\"Me\\" \\\\ back" NIL "q" "other.test")) (("Quote \\"Me\\" \\\\ back" NIL "q" "other.test")) (("Quote \\"Me\\" \\\\ back" NIL "q" "other.test")) ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) ((NIL NIL "Group" NIL)(NIL NIL "a" "x.test")("B b" NIL "b" "y.test")(NIL NIL NIL NIL)(NIL NIL "c" "z.test")) NIL NIL NIL)',
    );
    expect(fetchItems(f.untagged[1]).items.get("ENVELOPE")!.value).toBe('(NIL "folded continuation" NIL NIL NIL NIL NIL NIL NIL NIL)');
    c.close();
  });

  test("raw 8-bit header text: 7-bit (encoded words) for rev1, UTF-8 after ENABLE UTF8=ACCEPT", async () => {
    const c = await login(addr);
    await c.cmd("EXAMINE INBOX");
    const env7 = onlyFetch(await c.cmd("FETCH 2 (ENVELOPE)")).get("ENVELOPE")!.value;
    expect(env7).toMatch(/^[\x20-\x7e]*$/);
    expect(env7).toContain('"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= raw"');
    await c.cmd("ENABLE UTF8=ACCEPT");
    const env8 = onlyFetch(await c.cmd("FETCH 2 (ENVELOPE)")).get("ENVELOPE")!.value;
    expect(env8).toContain(`"${latin1("Grüße")} raw"`);
    expect(env8).toContain(`(("${latin1("Jörg")}" NIL "joerg" "other.test"))`);
    c.close();
  });
});

describe("\\Seen is set by FETCH without .PEEK (RFC 9051 §6.4.5)", () => {
  let addr: string;
  let other: RawImap;
  beforeAll(async () => {
    addr = await account("seen");
    for (const s of ["a", "b", "c", "d", "e"]) await deliver(addr, `Subject: ${s}\n\nbody ${s}\n`);
  });

  test("PEEK leaves flags alone; BODY[], BODY[part], RFC822, RFC822.TEXT, BINARY[] set \\Seen and report it", async () => {
    const c = await login(addr);
    other = await login(addr);
    await other.cmd("SELECT INBOX");
    await c.cmd("SELECT INBOX");
    const peek = onlyFetch(await c.cmd("FETCH 1 (BODY.PEEK[] BODY.PEEK[TEXT] BINARY.PEEK[1] RFC822.HEADER RFC822.SIZE)"));
    expect(peek.has("FLAGS")).toBe(false);
    expect((await c.cmd("FETCH 1:5 FLAGS")).untagged.every((l) => l.includes("FLAGS ()"))).toBe(true);

    const setters = ["BODY[]", "BODY[1]", "RFC822", "RFC822.TEXT", "BINARY[1]"];
    for (let i = 0; i < setters.length; i++) {
      const f = onlyFetch(await c.cmd(`FETCH ${i + 1} (${setters[i]})`));
      // The new flags come with the data, unasked.
      expect({ attr: setters[i], flags: f.get("FLAGS")?.value }).toEqual({ attr: setters[i], flags: "(\\Seen)" });
    }
    // A second FETCH finds it set: flags stay as they are.
    const again = onlyFetch(await c.cmd("FETCH 1 (BODY[TEXT] FLAGS)"));
    expect(again.get("FLAGS")!.value).toBe("(\\Seen)");
    expect((await c.cmd("FETCH 1:5 FLAGS")).untagged).toEqual([1, 2, 3, 4, 5].map((n) => `* ${n} FETCH (FLAGS (\\Seen))`));
    // Another session selected on the mailbox is told at its next NOOP.
    const n = await other.cmd("NOOP");
    expect(n.untagged.filter((l) => l.includes("\\Seen")).length).toBe(5);
    other.close();
    c.close();
  });
});

describe("CLOSE, UNSELECT, CHECK", () => {
  let addr: string;
  let mbx: number;
  beforeAll(async () => {
    addr = await account("close");
    for (const s of ["a", "b", "c"]) await deliver(addr, `Subject: ${s}\n\n${s}\n`);
    mbx = await inboxId(addr);
  });

  test("CHECK in selected state is OK", async () => {
    const c = await login(addr);
    await c.cmd("SELECT INBOX");
    expect((await c.cmd("CHECK")).status).toBe("OK");
    c.close();
  });

  test("UNSELECT and EXAMINE+CLOSE leave \\Deleted messages; SELECT+CLOSE expunges them silently", async () => {
    await storeFlags(t.server.db, mbx, [2], "add", ["\\Deleted"]);
    const c = await login(addr);
    await c.cmd("SELECT INBOX");
    expect((await c.cmd("UNSELECT")).untagged).toEqual([]);
    await c.cmd("EXAMINE INBOX");
    expect((await c.cmd("CLOSE")).untagged).toEqual([]);
    let s = await c.cmd("SELECT INBOX");
    expect(s.untagged).toContain("* 3 EXISTS");
    const r = await c.cmd("CLOSE");
    expect(r.status).toBe("OK");
    // RFC 9051 §6.4.1: no untagged EXPUNGE responses.
    expect(r.untagged).toEqual([]);
    s = await c.cmd("SELECT INBOX");
    expect(s.untagged).toContain("* 2 EXISTS");
    expect((await c.cmd("FETCH 1:* (UID)")).untagged).toEqual(["* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)"]);
    c.close();
  });
});

describe("expunges by another session: EXPUNGE, VANISHED, QRESYNC resync", () => {
  let addr: string;
  let mbx: number;
  beforeAll(async () => {
    addr = await account("qr");
    for (const s of ["a", "b", "c", "d", "e"]) await deliver(addr, `Subject: ${s}\n\n${s}\n`);
    mbx = await inboxId(addr);
  });

  test("rev1 sees EXPUNGE, QRESYNC sees VANISHED at NOOP; QRESYNC SELECT and UID FETCH VANISHED report VANISHED (EARLIER)", async () => {
    const q = await login(addr);
    expect((await q.cmd("ENABLE QRESYNC")).untagged).toEqual(["* ENABLED QRESYNC"]);
    const s0 = await q.cmd("SELECT INBOX");
    const uidValidity = Number(/UIDVALIDITY (\d+)/.exec(s0.raw)![1]);
    const modseq0 = Number(/HIGHESTMODSEQ (\d+)/.exec(s0.raw)![1]);
    const rev1 = await login(addr);
    await rev1.cmd("SELECT INBOX");

    // Another session: \Deleted on UIDs 2 and 4 (STORE is not ours to test here), \Seen on 5, CLOSE.
    await storeFlags(t.server.db, mbx, [2, 4], "add", ["\\Deleted"]);
    const other = await login(addr);
    await other.cmd("SELECT INBOX");
    onlyFetch(await other.cmd("FETCH 5 (BODY[])"));
    expect((await other.cmd("CLOSE")).status).toBe("OK");

    const n1 = await rev1.cmd("NOOP");
    // Each EXPUNGE renumbers the rest: UID 2 is 2, then UID 4 is 3.
    expect(n1.untagged.filter((l) => l.endsWith(" EXPUNGE"))).toEqual(["* 2 EXPUNGE", "* 3 EXPUNGE"]);
    expect(n1.untagged).toContain("* 3 FETCH (UID 5 FLAGS (\\Seen))");
    expect((await rev1.cmd("FETCH 1:* (UID)")).untagged).toEqual(["* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)", "* 3 FETCH (UID 5)"]);

    const n2 = await q.cmd("NOOP");
    expect(n2.untagged.some((l) => l.endsWith(" EXPUNGE"))).toBe(false);
    expect(n2.untagged).toContain("* VANISHED 2,4");
    expect(n2.untagged.find((l) => l.startsWith("* 3 FETCH"))).toMatch(/^\* 3 FETCH \(UID 5 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$/);

    const v = await q.cmd(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseq0} VANISHED)`);
    expect(v.untagged[0]).toBe("* VANISHED (EARLIER) 2,4");
    expect(v.untagged.length).toBe(2);
    expect(v.untagged[1]).toMatch(/^\* 3 FETCH \(UID 5 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$/);

    // A fresh session resynchronises from what it knew before (RFC 7162 §3.2.5).
    const r = await login(addr);
    await r.cmd("ENABLE QRESYNC");
    const sel = await r.cmd(`SELECT INBOX (QRESYNC (${uidValidity} ${modseq0} 1:5))`);
    expect(sel.status).toBe("OK");
    expect(sel.untagged).toContain("* 3 EXISTS");
    expect(sel.untagged).toContain("* VANISHED (EARLIER) 2,4");
    expect(sel.untagged.find((l) => / FETCH /.test(l))).toMatch(/^\* 3 FETCH \(UID 5 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$/);
    // Known UIDs limit what is reported; a stale UIDVALIDITY gets no resync data.
    const narrow = await r.cmd(`EXAMINE INBOX (QRESYNC (${uidValidity} ${modseq0} 1:3))`);
    expect(narrow.untagged).toContain("* VANISHED (EARLIER) 2");
    const stale = await r.cmd(`EXAMINE INBOX (QRESYNC (${uidValidity + 1} ${modseq0}))`);
    expect(stale.untagged.some((l) => l.includes("VANISHED"))).toBe(false);
    for (const c of [q, rev1, other, r]) c.close();
  });

  test("no EXPUNGE during FETCH (RFC 9051 §7.5.1): numbers stay stable until NOOP; UID FETCH may announce", async () => {
    const a = await account("stable");
    for (const s of ["a", "b", "c"]) await deliver(a, `Subject: ${s}\n\n${s}\n`);
    const id = await inboxId(a);
    const c = await login(a);
    await c.cmd("SELECT INBOX");
    await storeFlags(t.server.db, id, [1], "add", ["\\Deleted"]);
    const o = await login(a);
    await o.cmd("SELECT INBOX");
    await o.cmd("CLOSE");
    const f = await c.cmd("FETCH 1:3 (UID)");
    expect(f.status).toBe("OK");
    expect(f.untagged.some((l) => l.endsWith("EXPUNGE"))).toBe(false);
    // Sequence numbers are the old ones: UID 2 is still message 2.
    expect(f.untagged).toContain("* 2 FETCH (UID 2)");
    expect(f.untagged).toContain("* 3 FETCH (UID 3)");
    const u = await c.cmd("UID FETCH 1:* (UID)");
    // UID FETCH may announce the expunge: after its data, which still uses the old numbers.
    expect(u.untagged).toEqual(["* 2 FETCH (UID 2)", "* 3 FETCH (UID 3)", "* 1 EXPUNGE"]);
    expect((await c.cmd("NOOP")).untagged).toEqual([]);
    expect((await c.cmd("FETCH 1:* (UID)")).untagged).toEqual(["* 1 FETCH (UID 2)", "* 2 FETCH (UID 3)"]);
    c.close();
    o.close();
  });

  test.skipIf(pending.has("STORE") || pending.has("EXPUNGE"))("QRESYNC SELECT reports VANISHED (EARLIER) after another session's STORE + EXPUNGE", async () => {
    const a = await account("qr2");
    for (const s of ["a", "b", "c"]) await deliver(a, `Subject: ${s}\n\n${s}\n`);
    const q = await login(a);
    await q.cmd("ENABLE QRESYNC");
    const s0 = await q.cmd("SELECT INBOX");
    const uidValidity = Number(/UIDVALIDITY (\d+)/.exec(s0.raw)![1]);
    const modseq0 = Number(/HIGHESTMODSEQ (\d+)/.exec(s0.raw)![1]);
    q.close();
    const o = await login(a);
    await o.cmd("SELECT INBOX");
    expect((await o.cmd("UID STORE 2 +FLAGS.SILENT (\\Deleted)")).status).toBe("OK");
    const e = await o.cmd("EXPUNGE");
    expect(e.untagged).toEqual(["* 2 EXPUNGE"]);
    o.close();
    const r = await login(a);
    await r.cmd("ENABLE QRESYNC");
    const sel = await r.cmd(`SELECT INBOX (QRESYNC (${uidValidity} ${modseq0}))`);
    expect(sel.untagged).toContain("* 2 EXISTS");
    expect(sel.untagged).toContain("* VANISHED (EARLIER) 2");
    r.close();
  });
});

describe("IMAP4rev2 with the message commands", () => {
  test.skipIf(pending.has("SEARCH"))("SEARCH answers ESEARCH under IMAP4rev2, SEARCH under rev1", async () => {
    const a = await account("esearch");
    for (const s of ["a", "b"]) await deliver(a, `Subject: ${s}\n\n${s}\n`);
    const r1 = await login(a);
    await r1.cmd("SELECT INBOX");
    expect((await r1.cmd("SEARCH ALL")).untagged).toEqual(["* SEARCH 1 2"]);
    r1.close();
    const r2 = await login(a);
    await r2.cmd("ENABLE IMAP4rev2");
    await r2.cmd("SELECT INBOX");
    const s = await r2.cmd("SEARCH ALL");
    expect(s.untagged).toEqual([`* ESEARCH (TAG "${s.tag}") ALL 1:2`]);
    r2.close();
  });
});
