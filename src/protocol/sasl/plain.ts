// SASL PLAIN server (RFC 4616): one message "[authzid] NUL authcid NUL passwd", checked by the
// caller's password store. Only offered over TLS (RFC 4616 §6, DESIGN §5).
import type { SaslServer, SaslStep } from "./mod.ts";
import { saslprep } from "./saslprep.ts";
import { fail, SASL_MAX_MESSAGE, utf8 } from "./step.ts";

type Phase = "new" | "await-response" | "await-password" | "done";

/** RFC 4616 §2 message grammar, SASLprep'd; null if malformed, "authzid" if not permitted. */
export function parsePlainMessage(
  data: Uint8Array,
): { authcid: string; authzid: string | null; password: string } | "authzid" | null {
  if (data.length > SASL_MAX_MESSAGE) return null;
  const text = utf8(data);
  if (text === null) return null;
  const parts = text.split("\0");
  // message = [authzid] UTF8NUL authcid UTF8NUL passwd — exactly two NULs.
  if (parts.length !== 3) return null;
  const [rawAuthzid, rawAuthcid, rawPassword] = parts as [string, string, string];
  // authcid and passwd are 1*SAFE (RFC 4616 §2): never empty.
  if (rawAuthcid === "" || rawPassword === "") return null;
  // RFC 4616 §2: the server SHOULD prepare authcid and passwd with SASLprep (RFC 4013).
  const authcid = saslprep(rawAuthcid);
  const password = saslprep(rawPassword);
  if (authcid === null || authcid === "" || password === null || password === "") return null;
  if (rawAuthzid === "") return { authcid, authzid: null, password };
  // RFC 4616 §2: acting as another identity needs authorization; this server never grants it,
  // so a non-empty authzid must name the authenticated identity itself.
  const authzid = saslprep(rawAuthzid);
  if (authzid !== authcid) return "authzid";
  return { authcid, authzid, password };
}

export function createPlain(): SaslServer {
  let phase: Phase = "new";
  let identity: { authcid: string; authzid: string | null } | null = null;

  const end = (step: SaslStep): SaslStep => {
    phase = "done";
    return step;
  };

  const handle = (data: Uint8Array): SaslStep => {
    const parsed = parsePlainMessage(data);
    if (parsed === null) return end(fail("malformed"));
    if (parsed === "authzid") return end(fail("authzid"));
    phase = "await-password";
    identity = { authcid: parsed.authcid, authzid: parsed.authzid };
    return { type: "verify-password", ...parsed };
  };

  return {
    mechanism: "PLAIN",
    start(initial) {
      if (phase !== "new") return end(fail("malformed"));
      // RFC 4422 §5 / RFC 4616 §2: with no initial response the server sends an empty
      // challenge; the client's whole message comes back in the next response.
      if (initial === null) {
        phase = "await-response";
        return { type: "challenge", data: new Uint8Array(0) };
      }
      return handle(initial);
    },
    respond(data) {
      if (data === "*") return end(fail("aborted"));
      if (phase !== "await-response") return end(fail("malformed"));
      return handle(data);
    },
    passwordResult(ok) {
      if (phase !== "await-password" || identity === null) return end(fail("malformed"));
      return end(ok ? { type: "success", ...identity } : fail("credentials"));
    },
    scramCredentials() {
      return end(fail("malformed"));
    },
  };
}
