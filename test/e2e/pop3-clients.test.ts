// Real POP3 clients against the real listeners: Python's poplib (STLS and POP3_SSL), curl
// (pop3 with STLS, pop3s, SASL and USER/PASS, DELE), fetchmail and getmail6 (Debian), each
// fetching and deleting; leave-on-server runs use UIDL and fetch nothing twice.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { requireTools, run } from "../helpers/debian.ts";
import { deliver, sampleMessage } from "../protocol/pop3/raw-pop3.ts";
import { findAccount } from "../../src/store/accounts.ts";
import { findMailbox, listMessages } from "../../src/store/messages.ts";

const python = requireTools("POP3 clients: Python poplib", ["python3"]);
const curl = requireTools("POP3 clients: curl", ["curl"]);
const fetchmail = requireTools("POP3 clients: fetchmail", ["fetchmail"], "apt-get install fetchmail (bash .ci/run installs it)");
const getmail = requireTools("POP3 clients: getmail6", ["getmail"], "apt-get install getmail6 (bash .ci/run installs it)");

// The default server: no authentication before TLS, so every client must use STLS or pop3s.
let t: TestServer;
let dir: string;
beforeAll(async () => {
  t = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), "hikyaku-pop3-clients-"));
});
afterAll(async () => {
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function inboxCount(address: string): Promise<number> {
  const acct = await findAccount(t.server.db, address);
  const box = await findMailbox(t.server.db, acct!.id, "INBOX");
  return (await listMessages(t.server.db, box!.id)).length;
}

async function fresh(address: string, subjects: string[]): Promise<void> {
  // Start from an empty INBOX: earlier cases may have left messages behind.
  const acct = await findAccount(t.server.db, address);
  const box = await findMailbox(t.server.db, acct!.id, "INBOX");
  await t.server.db.writer.write([{ sql: "DELETE FROM mailbox_messages WHERE mailbox_id = ?", args: [box!.id] }]);
  for (const s of subjects) await deliver(t.server.db, address, sampleMessage(s, `Body of ${s}\r\n.leading dot\r\n`));
}

const POPLIB = String.raw`
import json, poplib, ssl, sys
case, p = sys.argv[1], json.loads(sys.argv[2])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
out = {}
try:
    if case == "stls":
        c = poplib.POP3("127.0.0.1", p["port"], timeout=10)
        out["capa_before"] = sorted(c.capa().keys())
        out["stls"] = c.stls(context=ctx).decode()
        out["tls"] = c.sock.version()
        out["capa_after"] = sorted(c.capa().keys())
    else:
        c = poplib.POP3_SSL("127.0.0.1", p["port"], context=ctx, timeout=10)
        out["tls"] = c.sock.version()
    out["user"] = c.user(p["user"]).decode()
    out["pass"] = c.pass_(p["password"]).decode()
    out["stat"] = list(c.stat())
    out["list"] = [l.decode() for l in c.list()[1]]
    out["uidl"] = [l.decode() for l in c.uidl()[1]]
    msgs = []
    for i in range(1, out["stat"][0] + 1):
        resp, lines, octets = c.retr(i)
        msgs.append({"resp": resp.decode(), "lines": [l.decode() for l in lines], "octets": octets})
        if p.get("delete"):
            c.dele(i)
    out["messages"] = msgs
    out["top"] = [l.decode() for l in c.top(1, 0)[1]] if out["stat"][0] and not p.get("delete") else []
    out["quit"] = c.quit().decode()
except Exception as e:
    out["error"] = {"type": type(e).__name__, "text": str(e)}
print(json.dumps(out))
`;

describe.skipIf(python.skip)("Python poplib", () => {
  async function poplib(kase: string, params: Record<string, unknown>): Promise<Record<string, any>> {
    const r = await run(python.bin("python3"), ["-c", POPLIB, kase, JSON.stringify(params)], { timeoutMs: 20_000 });
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  }

  test("POP3 + stls(): fetch, unstuff, delete", async () => {
    await fresh("alice@example.test", ["py-1", "py-2"]);
    const out = await poplib("stls", { port: t.port("pop3"), user: "alice@example.test", password: "alice-pw", delete: true });
    expect(out.error).toBeUndefined();
    expect(out.capa_before).toContain("STLS");
    expect(out.capa_before).not.toContain("USER");
    expect(out.capa_after).toContain("USER");
    expect(out.tls).toMatch(/^TLSv1\.[23]$/);
    expect(out.stat[0]).toBe(2);
    expect(out.messages).toHaveLength(2);
    expect(out.messages[0].lines).toContain("Subject: py-1");
    // poplib removes the byte-stuffing: the stored line starting with "." comes back intact.
    expect(out.messages[1].lines).toContain(".leading dot");
    expect(out.messages[0].resp).toBe(`+OK ${out.list[0].split(" ")[1]} octets`);
    expect(out.quit).toStartWith("+OK");
    expect(await inboxCount("alice@example.test")).toBe(0);
  });

  test("POP3_SSL: UIDL, TOP, leave on server", async () => {
    await fresh("bob@example.test", ["py-ssl"]);
    const out = await poplib("ssl", { port: t.port("pop3s"), user: "bob@example.test", password: "bob-pw" });
    expect(out.error).toBeUndefined();
    expect(out.uidl[0]).toMatch(/^1 \d+\.\d+$/);
    expect(out.top).toContain("Subject: py-ssl");
    expect(out.top.at(-1)).toBe("");
    expect(await inboxCount("bob@example.test")).toBe(1);
  });

  test("wrong password: poplib raises with the [AUTH] response code", async () => {
    const out = await poplib("ssl", { port: t.port("pop3s"), user: "bob@example.test", password: "nope" });
    expect(out.error.type).toBe("error_proto");
    expect(out.error.text).toContain("-ERR [AUTH]");
  });
});

describe.skipIf(curl.skip)("curl", () => {
  const creds = ["-u", "alice@example.test:alice-pw"];
  const k = ["-s", "-S", "-k", "--max-time", "15"];

  test("pop3:// with --ssl-reqd (STLS) lists and retrieves; pop3s:// deletes with -X DELE", async () => {
    await fresh("alice@example.test", ["curl-1", "curl-2"]);
    const list = await run(curl.bin("curl"), [...k, "--ssl-reqd", ...creds, `pop3://127.0.0.1:${t.port("pop3")}/`]);
    expect(list.code).toBe(0);
    expect(list.stdout.trim().split(/\r?\n/).map((l) => l.split(" ")[0])).toEqual(["1", "2"]);
    const retr = await run(curl.bin("curl"), [...k, "--ssl-reqd", ...creds, `pop3://127.0.0.1:${t.port("pop3")}/2`]);
    expect(retr.code).toBe(0);
    expect(retr.stdout).toContain("Subject: curl-2");
    expect(retr.stdout).toContain("\r\n.leading dot\r\n");
    const dele = await run(curl.bin("curl"), [...k, ...creds, "-X", "DELE", "-I", `pop3s://127.0.0.1:${t.port("pop3s")}/1`]);
    expect(dele.code).toBe(0);
    expect(await inboxCount("alice@example.test")).toBe(1);
  });

  test("SASL PLAIN with an initial response and LOGIN, forced by --login-options", async () => {
    await fresh("alice@example.test", ["curl-sasl"]);
    for (const opt of [["--login-options", "AUTH=PLAIN", "--sasl-ir"], ["--login-options", "AUTH=LOGIN"]]) {
      const r = await run(curl.bin("curl"), [...k, ...opt, ...creds, `pop3s://127.0.0.1:${t.port("pop3s")}/1`]);
      expect([opt.join(" "), r.code]).toEqual([opt.join(" "), 0]);
      expect(r.stdout).toContain("Subject: curl-sasl");
    }
  });

  test("without TLS curl cannot log in: the server offers no USER/SASL in cleartext", async () => {
    const r = await run(curl.bin("curl"), [...k, ...creds, `pop3://127.0.0.1:${t.port("pop3")}/`]);
    expect(r.code).not.toBe(0);
  });
});

describe.skipIf(fetchmail.skip)("fetchmail", () => {
  function rc(name: string, extra: string): { home: string; file: string; mbox: string } {
    const home = join(dir, name);
    mkdirSync(home, { recursive: true });
    const mbox = join(home, "mbox");
    const file = join(home, "fetchmailrc");
    writeFileSync(
      file,
      `set no syslog\npoll 127.0.0.1 with service ${t.port("pop3")} protocol pop3 uidl\n` +
        `  user "alice@example.test" there with password "alice-pw" is "root" here\n` +
        `  sslproto "TLS1.2+" no sslcertck\n  ${extra}\n  mda "cat >> ${mbox}"\n`,
    );
    chmodSync(file, 0o600);
    return { home, file, mbox };
  }

  async function fetch(r: { home: string; file: string }) {
    return run(fetchmail.bin("fetchmail"), ["--nodetach", "-v", "-f", r.file], { timeoutMs: 30_000, env: { ...process.env, HOME: r.home, FETCHMAILHOME: r.home } });
  }

  test("STLS, fetch all, delete after delivery", async () => {
    await fresh("alice@example.test", ["fm-1", "fm-2", "fm-3"]);
    const r = rc("fm-delete", "fetchall");
    const res = await fetch(r);
    expect([res.code, res.stderr.slice(-800)]).toEqual([0, expect.any(String)]);
    expect(res.stdout + res.stderr).toContain("POP3> STLS");
    const mbox = readFileSync(r.mbox, "latin1");
    for (const s of ["fm-1", "fm-2", "fm-3"]) expect(mbox).toContain(`Subject: ${s}`);
    expect(mbox).toContain("\n.leading dot");
    expect(await inboxCount("alice@example.test")).toBe(0);
  });

  test("keep: a second run fetches nothing (UIDL), a new message only itself", async () => {
    await fresh("alice@example.test", ["fm-keep-1", "fm-keep-2"]);
    const r = rc("fm-keep", "keep");
    expect((await fetch(r)).code).toBe(0);
    expect(readFileSync(r.mbox, "latin1").match(/^Subject: /gm)).toHaveLength(2);
    // fetchmail exits 1 for "no new mail".
    expect((await fetch(r)).code).toBe(1);
    await deliver(t.server.db, "alice@example.test", sampleMessage("fm-keep-3"));
    expect((await fetch(r)).code).toBe(0);
    const mbox = readFileSync(r.mbox, "latin1");
    expect(mbox.match(/^Subject: /gm)).toHaveLength(3);
    expect(mbox).toContain("Subject: fm-keep-3");
    expect(await inboxCount("alice@example.test")).toBe(3);
  });
});

describe.skipIf(getmail.skip)("getmail6", () => {
  function rc(name: string, retriever: string, port: number, del: boolean): { home: string; file: string; out: string } {
    const home = join(dir, name);
    const out = join(home, "out");
    mkdirSync(out, { recursive: true });
    const file = join(home, "getmailrc");
    // MDA_external, not Maildir: getmail refuses Maildir delivery as root (CI runs as root).
    writeFileSync(
      file,
      `[retriever]\ntype = ${retriever}\nserver = 127.0.0.1\nport = ${port}\nusername = bob@example.test\npassword = bob-pw\n\n` +
        `[destination]\ntype = MDA_external\npath = /bin/sh\narguments = ("-c", "cat > ${out}/msg-$$")\nallow_root_commands = true\n\n` +
        `[options]\nread_all = false\ndelete = ${del}\n`,
    );
    return { home, file, out };
  }

  async function get(r: { home: string; file: string }) {
    return run(getmail.bin("getmail"), ["--getmaildir", r.home, "--rcfile", r.file], { timeoutMs: 30_000 });
  }

  test("SimplePOP3SSLRetriever over pop3s: leave on server, then nothing new", async () => {
    await fresh("bob@example.test", ["gm-1", "gm-2"]);
    const r = rc("gm-keep", "SimplePOP3SSLRetriever", t.port("pop3s"), false);
    const first = await get(r);
    expect([first.code, first.stderr]).toEqual([0, ""]);
    expect(readdirSync(r.out)).toHaveLength(2);
    expect(first.stdout).toContain("2 messages");
    const second = await get(r);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("0 messages");
    expect(await inboxCount("bob@example.test")).toBe(2);
    const all = readdirSync(r.out).map((f) => readFileSync(join(r.out, f), "latin1")).join("\n");
    expect(all).toContain("Subject: gm-1");
    expect(all).toContain("\n.leading dot");
  });

  test("delete = true removes what was delivered", async () => {
    await fresh("bob@example.test", ["gm-del"]);
    const r = rc("gm-delete", "SimplePOP3SSLRetriever", t.port("pop3s"), true);
    const res = await get(r);
    expect([res.code, res.stderr]).toEqual([0, ""]);
    expect(readdirSync(r.out)).toHaveLength(1);
    expect(await inboxCount("bob@example.test")).toBe(0);
  });
});
