// SASL LOGIN server (draft-murchison-sasl-login-00): "Username:" then "Password:" challenges.
// Obsolete but still what many clients send; only offered over TLS, like PLAIN (DESIGN §5).
import type { SaslServer, SaslStep } from "./mod.ts";
import { saslprep } from "./saslprep.ts";
import { fail, SASL_MAX_MESSAGE, textBytes, utf8 } from "./step.ts";

type Phase = "new" | "await-username" | "await-password-response" | "await-password" | "done";

// draft-murchison-sasl-login §2: the challenges are these fixed strings (base64 on the wire:
// "VXNlcm5hbWU6" and "UGFzc3dvcmQ6").
const USERNAME_CHALLENGE = "Username:";
const PASSWORD_CHALLENGE = "Password:";

/** A UTF-8, SASLprep'd, non-empty field, or null. */
function field(data: Uint8Array): string | null {
  if (data.length > SASL_MAX_MESSAGE) return null;
  const text = utf8(data);
  if (text === null || text.includes("\0")) return null;
  const prepared = saslprep(text);
  return prepared === null || prepared === "" ? null : prepared;
}

export function createLogin(): SaslServer {
  let phase: Phase = "new";
  let username = "";

  const end = (step: SaslStep): SaslStep => {
    phase = "done";
    return step;
  };

  const takeUsername = (data: Uint8Array): SaslStep => {
    const name = field(data);
    if (name === null) return end(fail("malformed"));
    username = name;
    phase = "await-password-response";
    return { type: "challenge", data: textBytes(PASSWORD_CHALLENGE) };
  };

  return {
    mechanism: "LOGIN",
    start(initial) {
      if (phase !== "new") return end(fail("malformed"));
      // draft-murchison-sasl-login §2: an initial response, if sent, is the user name.
      if (initial !== null && initial.length > 0) return takeUsername(initial);
      phase = "await-username";
      return { type: "challenge", data: textBytes(USERNAME_CHALLENGE) };
    },
    respond(data) {
      if (data === "*") return end(fail("aborted"));
      switch (phase) {
        case "await-username":
          return takeUsername(data);
        case "await-password-response": {
          const password = field(data);
          if (password === null) return end(fail("malformed"));
          phase = "await-password";
          return { type: "verify-password", authcid: username, authzid: null, password };
        }
        default:
          return end(fail("malformed"));
      }
    },
    passwordResult(ok) {
      if (phase !== "await-password") return end(fail("malformed"));
      return end(ok ? { type: "success", authcid: username, authzid: null } : fail("credentials"));
    },
    scramCredentials() {
      return end(fail("malformed"));
    },
  };
}
