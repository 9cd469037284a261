// Built-in `auth.scram` provider: the stored SCRAM-SHA-256 verifier of an account
// (RFC 5802 §3: StoredKey/ServerKey only, never the password), or null.

import { defineHandler } from "../src/events/handler.ts";
import { getScram } from "../src/store/accounts.ts";

export const authScram = defineHandler({
  event: "auth.scram",
  name: "auth-scram",
  timeoutMs: 5000,
  async handle({ username }, ctx) {
    const c = await getScram(ctx.db, username);
    return c ? { address: c.address, iterations: c.iterations, salt: c.salt, storedKey: c.storedKey, serverKey: c.serverKey } : null;
  },
});
