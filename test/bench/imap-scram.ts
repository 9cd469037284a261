// Client side of AUTHENTICATE SCRAM-SHA-256 (RFC 5802, RFC 7677) for the IMAP bench, with
// SASL-IR (RFC 4959). The salted password is derived once per (password, salt, iterations),
// so thousands of logins of one user cost one PBKDF2 here.

import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { ImapError, type ImapClient, type Tagged } from "./imap-client.ts";

export async function scramAuthenticate(c: ImapClient, user: string, password: string): Promise<Tagged> {
  const cnonce = randomBytes(18).toString("base64");
  const bare = `n=${user.replace(/=/g, "=3D").replace(/,/g, "=2C")},r=${cnonce}`;
  let serverSig = "";
  let step = 0;
  const r = await c.command(`AUTHENTICATE SCRAM-SHA-256 ${b64(`n,,${bare}`)}`, {
    onContinue: (text) => {
      step++;
      const msg = Buffer.from(text.trim(), "base64").toString("utf8");
      if (step === 1) {
        const f = fields(msg);
        if (!f.r?.startsWith(cnonce) || !f.s || !f.i) throw new ImapError(`bad SCRAM server-first: ${msg}`);
        const salted = saltedPassword(password, f.s, Number(f.i));
        const clientKey = hmac(salted, "Client Key");
        const storedKey = createHash("sha256").update(clientKey).digest();
        const without = `c=biws,r=${f.r}`;
        const auth = `${bare},${msg},${without}`;
        const sig = hmac(storedKey, auth);
        const proof = Buffer.alloc(clientKey.length);
        for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i] ^ sig[i];
        serverSig = hmac(hmac(salted, "Server Key"), auth).toString("base64");
        return `${b64(`${without},p=${proof.toString("base64")}`)}\r\n`;
      }
      // server-final in a continuation (RFC 9051 §6.2.2): check it, answer with an empty line.
      if (fields(msg).v !== serverSig) throw new ImapError("SCRAM server signature mismatch");
      return "\r\n";
    },
  });
  if (r.status !== "OK") throw new ImapError(`AUTHENTICATE: ${r.status} ${r.text}`);
  return r;
}

function b64(s: string): string {
  return Buffer.from(s, "utf8").toString("base64");
}

function hmac(key: Uint8Array, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

function fields(msg: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of msg.split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

const SALTED = new Map<string, Buffer>();
function saltedPassword(password: string, salt: string, iterations: number): Buffer {
  const key = `${salt}\0${iterations}\0${password}`;
  let v = SALTED.get(key);
  if (!v) SALTED.set(key, (v = pbkdf2Sync(password, Buffer.from(salt, "base64"), iterations, 32, "sha256")));
  return v;
}
