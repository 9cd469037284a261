// SASL SCRAM-SHA-256 (RFC 5802, RFC 7677) server: the RFC 7677 §3 vector, a test client,
// wrong proofs, unknown users, aborts and malformed messages.
import { describe, expect, test } from "bun:test";
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { decodeBase64Strict, encodeBase64 } from "../../../src/protocol/sasl/base64.ts";
import { createSasl, type SaslStep, type ScramCredentials } from "../../../src/protocol/sasl/mod.ts";
import { deriveScramCredentials } from "../../../src/protocol/sasl/scram-sha-256.ts";

const b = (s: string) => new TextEncoder().encode(s);
const t = (d: Uint8Array) => new TextDecoder().decode(d);
const challenge = (s: SaslStep) => {
  if (s.type !== "challenge") throw new Error(`expected challenge, got ${JSON.stringify(s)}`);
  return t(s.data);
};
const MALFORMED: SaslStep = { type: "failure", reason: "malformed" };

// RFC 7677 §3.
const V = {
  salt: decodeBase64Strict("W22ZaJ0SNY7soEsUEjb6gQ==")!,
  serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
  clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  clientFinal:
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};
const pencil = deriveScramCredentials("pencil", V.salt, 4096);

function vectorServer() {
  return createSasl("SCRAM-SHA-256", { scram: { serverNonce: V.serverNonce } })!;
}

/** A minimal RFC 5802 client: given the server-first message, build the client-final. */
function clientFinal(password: string, gs2: string, bare: string, serverFirst: string): string {
  const attrs = Object.fromEntries(serverFirst.split(",").map((a) => [a[0], a.slice(2)]));
  // RFC 5802 §3, client side (password already free of SASLprep mappings except NFKC).
  const salted = pbkdf2Sync(password.normalize("NFKC"), decodeBase64Strict(attrs.s!)!, Number(attrs.i), 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const withoutProof = `c=${encodeBase64(b(gs2))},r=${attrs.r}`;
  const sig = createHmac("sha256", storedKey).update(`${bare},${serverFirst},${withoutProof}`).digest();
  const proof = new Uint8Array(clientKey.map((x, i) => x ^ sig[i]!));
  return `${withoutProof},p=${encodeBase64(proof)}`;
}

describe("RFC 7677 §3 test vector", () => {
  test("full exchange", () => {
    const s = vectorServer();
    expect(s.start(b(V.clientFirst))).toEqual({ type: "need-scram", authcid: "user" });
    expect(challenge(s.scramCredentials(pencil))).toBe(V.serverFirst);
    const final = s.respond(b(V.clientFinal));
    expect(final.type).toBe("success");
    if (final.type !== "success") return;
    expect(final.authcid).toBe("user");
    expect(final.authzid).toBeNull();
    expect(t(final.data!)).toBe(V.serverFinal);
  });

  test("empty challenge first when there is no initial response", () => {
    const s = vectorServer();
    expect(s.start(null)).toEqual({ type: "challenge", data: new Uint8Array(0) });
    expect(s.respond(b(V.clientFirst)).type).toBe("need-scram");
    challenge(s.scramCredentials(pencil));
    expect(s.respond(b(V.clientFinal)).type).toBe("success");
  });

  test("wrong password → credentials", () => {
    const s = vectorServer();
    s.start(b(V.clientFirst));
    s.scramCredentials(deriveScramCredentials("pencil2", V.salt, 4096));
    expect(s.respond(b(V.clientFinal))).toEqual({ type: "failure", reason: "credentials" });
  });

  test("tampered proof → credentials", () => {
    const s = vectorServer();
    s.start(b(V.clientFirst));
    s.scramCredentials(pencil);
    const bad = V.clientFinal.replace("p=dHzb", "p=dHzc");
    expect(s.respond(b(bad))).toEqual({ type: "failure", reason: "credentials" });
  });
});

describe("exchanges with a test client", () => {
  const salt = new Uint8Array(16).fill(7);
  const creds = deriveScramCredentials("h\u00E9llo w\u00F6rld", salt, 4096);

  function run(gs2: string, bare: string, stored: ScramCredentials | null, password: string) {
    const s = createSasl("SCRAM-SHA-256")!;
    const need = s.start(b(gs2 + bare));
    if (need.type !== "need-scram") return { need, final: need };
    const sf = challenge(s.scramCredentials(stored));
    return { need, sf, final: s.respond(b(clientFinal(password, gs2, bare, sf))) };
  }

  test("random server nonce, 'y' flag, escaped user name", () => {
    const { need, sf, final } = run("y,,", "n=a=2Cb=3Dc,r=abc123", creds, "h\u00E9llo w\u00F6rld");
    expect(need).toEqual({ type: "need-scram", authcid: "a,b=c" });
    expect(sf).toMatch(/^r=abc123[A-Za-z0-9+/]{24},s=BwcHBwcHBwcHBwcHBwcHBw==,i=4096$/);
    expect(final.type).toBe("success");
  });

  test("authzid equal to the user is allowed; another is refused", () => {
    expect(run("n,a=bob,", "n=bob,r=x", creds, "h\u00E9llo w\u00F6rld").final.type).toBe("success");
    expect(createSasl("SCRAM-SHA-256")!.start(b("n,a=root,n=bob,r=x"))).toEqual({ type: "failure", reason: "authzid" });
  });

  test("unknown user: stable fake salt, full computation, then credentials", () => {
    const key = new Uint8Array(32).fill(1);
    const salts = [0, 1].map(() => {
      const s = createSasl("SCRAM-SHA-256", { scram: { fakeSaltKey: key } })!;
      s.start(b("n,,n=ghost,r=nonce"));
      const sf = challenge(s.scramCredentials(null));
      expect(sf).toMatch(/,i=4096$/);
      const final = s.respond(b(clientFinal("guess", "n,,", "n=ghost,r=nonce", sf)));
      expect(final).toEqual({ type: "failure", reason: "credentials" });
      return sf.split(",")[1];
    });
    expect(salts[0]).toBe(salts[1]);
  });

  test("server nonces differ between exchanges", () => {
    const a = run("n,,", "n=u,r=n1", creds, "x").sf;
    const c = run("n,,", "n=u,r=n1", creds, "x").sf;
    expect(a).not.toBe(c);
  });
});

describe("abort and malformed messages", () => {
  test("'*' aborts at client-first and at client-final", () => {
    const s = vectorServer();
    s.start(null);
    expect(s.respond("*")).toEqual({ type: "failure", reason: "aborted" });
    const u = vectorServer();
    u.start(b(V.clientFirst));
    u.scramCredentials(pencil);
    expect(u.respond("*")).toEqual({ type: "failure", reason: "aborted" });
  });

  test.each([
    ["empty", ""],
    ["channel binding p= refused (no -PLUS)", "p=tls-unique,,n=user,r=abc"],
    ["unknown flag", "x,,n=user,r=abc"],
    ["no gs2 header", "n=user,r=abc"],
    ["reserved m=", "n,,m=ext,n=user,r=abc"],
    ["bad escape in user name", "n,,n=a=2Db,r=abc"],
    ["empty user name", "n,,n=,r=abc"],
    ["missing nonce", "n,,n=user"],
    ["comma-free nonce has bad char", "n,,n=user,r=ab\u0001"],
    ["attributes out of order", "n,,r=abc,n=user"],
    ["bad authzid field", "n,x=bob,n=user,r=abc"],
  ])("client-first: %s", (_name, msg) => {
    expect(createSasl("SCRAM-SHA-256")!.start(b(msg))).toEqual(MALFORMED);
  });

  const nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
  const proof = "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  test.each([
    ["wrong nonce", `c=biws,r=rOprNGfwEbeRWgbNEkqO,${proof}`],
    ["wrong channel binding", `c=eSws,r=${nonce},${proof}`],
    ["missing proof", `c=biws,r=${nonce}`],
    ["proof not base64", `c=biws,r=${nonce},p=***`],
    ["short proof", `c=biws,r=${nonce},p=AAAA`],
    ["attributes out of order", `r=${nonce},c=biws,${proof}`],
    ["not UTF-8", "\uFFFD"],
  ])("client-final: %s", (_name, msg) => {
    const s = vectorServer();
    s.start(b(V.clientFirst));
    s.scramCredentials(pencil);
    const data = msg === "\uFFFD" ? new Uint8Array([0xff, 0xfe]) : b(msg);
    expect(s.respond(data)).toEqual(MALFORMED);
  });

  test("extensions before the proof are ignored", () => {
    const s = vectorServer();
    s.start(b(V.clientFirst + ",x=ext"));
    s.scramCredentials(pencil);
    // The extension changes client-first-bare, so the vector's proof no longer matches.
    expect(s.respond(b(V.clientFinal))).toEqual({ type: "failure", reason: "credentials" });
  });

  test("calls out of order", () => {
    const s = vectorServer();
    expect(s.scramCredentials(pencil)).toEqual(MALFORMED);
    const u = vectorServer();
    u.start(b(V.clientFirst));
    expect(u.respond(b(V.clientFinal))).toEqual(MALFORMED);
    const w = vectorServer();
    w.start(b(V.clientFirst));
    expect(w.passwordResult(true)).toEqual(MALFORMED);
  });
});

describe("deriveScramCredentials", () => {
  test("RFC 7677 keys and SASLprep of the password", () => {
    expect(pencil.iterations).toBe(4096);
    expect(pencil.storedKey.length).toBe(32);
    expect(deriveScramCredentials("I\u00ADX", V.salt, 1)).toEqual(deriveScramCredentials("IX", V.salt, 1));
    expect(() => deriveScramCredentials("x", V.salt, 0)).toThrow(RangeError);
  });
});
