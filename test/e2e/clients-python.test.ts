// Real client: Python's smtplib (python3) over MX (25), submission (587 STARTTLS + login),
// submissions (SMTP_SSL, 465) and LMTP, plus an 8-bit UTF-8 body with an SMTPUTF8 address.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { inboxBodies, requireTools, run } from "../helpers/debian.ts";
import { addAccount } from "../../src/store/accounts.ts";

const tools = requireTools("Python smtplib client tests", ["python3"]);

// One script, one case per run: argv[1] is the case, argv[2] a JSON object of parameters.
// It prints one JSON line: what the server answered, or the exception it raised.
const SCRIPT = String.raw`
import json, smtplib, ssl, sys
from email.message import EmailMessage
from email.policy import SMTPUTF8

case, p = sys.argv[1], json.loads(sys.argv[2])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
T = 10

def msg(subject, body, frm, to, cte="7bit"):
    m = EmailMessage(policy=SMTPUTF8)
    m["From"] = frm
    m["To"] = to
    m["Subject"] = subject
    m.set_content(body, cte=cte)
    return m

out = {}
try:
    if case == "mx":
        with smtplib.SMTP("127.0.0.1", p["port"], local_hostname="client.test", timeout=T) as s:
            out["ehlo"] = s.ehlo()[0]
            out["refused"] = s.sendmail("py@other.test", ["alice@example.test"], msg("py-25", "over MX\n", "py@other.test", "alice@example.test").as_bytes())
    elif case == "starttls":
        with smtplib.SMTP("127.0.0.1", p["port"], local_hostname="client.test", timeout=T) as s:
            s.ehlo()
            out["auth_before_tls"] = s.has_extn("auth")
            out["starttls"] = s.starttls(context=ctx)[0]
            s.ehlo()
            out["cipher"] = s.sock.version()
            out["login"] = s.login("alice@example.test", p.get("password", "alice-pw"))[0]
            out["refused"] = s.send_message(msg("py-587", "over submission\n", "alice@example.test", "bob@example.test"))
    elif case == "ssl":
        with smtplib.SMTP_SSL("127.0.0.1", p["port"], local_hostname="client.test", context=ctx, timeout=T) as s:
            out["cipher"] = s.sock.version()
            out["login"] = s.login("alice@example.test", "alice-pw")[0]
            out["refused"] = s.send_message(msg("py-465", "over implicit TLS\n", "alice@example.test", "bob@example.test"))
    elif case == "lmtp":
        s = smtplib.LMTP("127.0.0.1", p["port"], local_hostname="client.test", timeout=T)
        try:
            out["lhlo"] = s.ehlo()[0]
            out["refused"] = s.sendmail("py@other.test", ["alice@example.test", "bob@example.test"], msg("py-lmtp", "over LMTP\n", "py@other.test", "alice@example.test").as_bytes())
        finally:
            s.quit()
    elif case == "utf8":
        with smtplib.SMTP("127.0.0.1", p["port"], local_hostname="client.test", timeout=T) as s:
            s.ehlo()
            out["smtputf8"] = s.has_extn("smtputf8")
            m = msg(p["subject"], "Grüße aus Köln — 8 bit, no transfer encoding\n", p["from"], p["to"], cte="8bit")
            # send_message itself adds SMTPUTF8 and BODY=8BITMIME when an address is non-ASCII.
            out["refused"] = s.send_message(m, mail_options=p.get("mail_options", []))
    else:
        raise SystemExit("unknown case " + case)
except smtplib.SMTPResponseException as e:
    out["error"] = {"type": type(e).__name__, "code": e.smtp_code, "text": e.smtp_error.decode("utf-8", "replace")}
except smtplib.SMTPRecipientsRefused as e:
    out["error"] = {"type": type(e).__name__, "recipients": {k: [v[0], v[1].decode("utf-8", "replace")] for k, v in e.recipients.items()}}
except Exception as e:
    out["error"] = {"type": type(e).__name__, "text": str(e)}
print(json.dumps(out))
`;

type PyResult = Record<string, unknown> & { error?: { type: string; code?: number; text?: string } };

async function py(kase: string, params: Record<string, unknown>): Promise<PyResult> {
  const r = await run(tools.bin("python3"), ["-c", SCRIPT, kase, JSON.stringify(params)], { timeoutMs: 20_000 });
  if (r.timedOut || r.code !== 0) throw new Error(`python3 ${kase}: exit ${r.code}${r.timedOut ? " (timed out)" : ""}\n${r.stdout}\n${r.stderr}`);
  const last = r.stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(last) as PyResult;
}

let t: TestServer;
beforeAll(async () => {
  if (tools.skip) return;
  t = await startTestServer();
  // An internationalised local part (RFC 6531), so SMTPUTF8 is exercised on the recipient too.
  await addAccount(t.server.db, "jörg@example.test", "jörg-pw");
});
afterAll(async () => {
  await t?.stop();
});

const stored = async (address: string, subject: string) => (await inboxBodies(t.server.db, address)).find((b) => b.includes(`Subject: ${subject}`));

describe.skipIf(tools.skip)("python smtplib", () => {
  test("SMTP to port 25", async () => {
    const r = await py("mx", { port: t.port("mx") });
    expect(r).toEqual({ ehlo: 250, refused: {} });
    const m = await stored("alice@example.test", "py-25");
    expect(m).toBeDefined();
    expect(m!.startsWith("Return-Path: <py@other.test>\r\nReceived: from client.test ([127.0.0.1])")).toBe(true);
  });

  test("STARTTLS + login to 587; AUTH only after TLS", async () => {
    const r = await py("starttls", { port: t.port("submission") });
    expect(r.error).toBeUndefined();
    expect(r.auth_before_tls).toBe(false);
    expect(r.starttls).toBe(220);
    expect(["TLSv1.2", "TLSv1.3"]).toContain(r.cipher as string);
    expect(r.login).toBe(235);
    expect(r.refused).toEqual({});
    expect(await stored("bob@example.test", "py-587")).toBeDefined();
  });

  test("STARTTLS + login with a wrong password: SMTPAuthenticationError 535", async () => {
    const r = await py("starttls", { port: t.port("submission"), password: "wrong" });
    expect(r.error).toMatchObject({ type: "SMTPAuthenticationError", code: 535 });
  });

  test("SMTP_SSL to 465", async () => {
    const r = await py("ssl", { port: t.port("submissions") });
    expect(r.error).toBeUndefined();
    expect(["TLSv1.2", "TLSv1.3"]).toContain(r.cipher as string);
    expect(r.login).toBe(235);
    expect(r.refused).toEqual({});
    expect(await stored("bob@example.test", "py-465")).toBeDefined();
  });

  test("smtplib.LMTP to the LMTP port, two recipients", async () => {
    const r = await py("lmtp", { port: t.port("lmtp") });
    expect(r).toEqual({ lhlo: 250, refused: {} });
    expect(await stored("alice@example.test", "py-lmtp")).toBeDefined();
    expect(await stored("bob@example.test", "py-lmtp")).toBeDefined();
  });

  test("send_message: 8-bit UTF-8 body, SMTPUTF8 sender, to a local recipient", async () => {
    const r = await py("utf8", { port: t.port("mx"), from: "jürgen@other.test", to: "alice@example.test", subject: "py-utf8 Grüße" });
    expect(r.error).toBeUndefined();
    expect(r.smtputf8).toBe(true);
    expect(r.refused).toEqual({});
    const m = await stored("alice@example.test", "py-utf8 Grüße");
    expect(m).toBeDefined();
    expect(m!.startsWith("Return-Path: <jürgen@other.test>\r\n")).toBe(true);
    expect(m).toContain("Grüße aus Köln — 8 bit, no transfer encoding");
    expect(m).toMatch(/Received: from client\.test [^]*UTF8SMTP/);
  });

  test("send_message: SMTPUTF8 recipient address (internationalised local part)", async () => {
    const r = await py("utf8", { port: t.port("mx"), from: "jürgen@other.test", to: "jörg@example.test", subject: "py-utf8-rcpt" });
    expect(r.error).toBeUndefined();
    expect(r.refused).toEqual({});
    const m = await stored("jörg@example.test", "py-utf8-rcpt");
    expect(m).toBeDefined();
    expect(m).toContain("To: jörg@example.test");
  });

  test("send_message: mail_options=[\"SMTPUTF8\"] with an ASCII envelope and an 8-bit body", async () => {
    const r = await py("utf8", { port: t.port("mx"), from: "py@other.test", to: "alice@example.test", subject: "py-utf8-opt", mail_options: ["SMTPUTF8"] });
    expect(r.error).toBeUndefined();
    expect(r.refused).toEqual({});
    const m = await stored("alice@example.test", "py-utf8-opt");
    expect(m).toContain("Grüße aus Köln");
  });

  // smtplib's send_message appends SMTPUTF8 itself when an address is non-ASCII, so this
  // documented call sends "MAIL FROM:<…> SMTPUTF8 SMTPUTF8 BODY=8BITMIME": an identical
  // repeated parameter is tolerated (src/protocol/smtp/params.ts).
  test("send_message: mail_options=[\"SMTPUTF8\"] with a non-ASCII sender (repeated SMTPUTF8)", async () => {
    const r = await py("utf8", { port: t.port("mx"), from: "jürgen@other.test", to: "alice@example.test", subject: "py-utf8-dup", mail_options: ["SMTPUTF8"] });
    expect(r.error).toBeUndefined();
    expect(await stored("alice@example.test", "py-utf8-dup")).toBeDefined();
  });
});
