// Built-in `auth.verify` provider: checks a username/password against the accounts table
// (scrypt, constant-time, with a dummy check for unknown users so timing reveals nothing).

import { defineHandler } from "../src/events/handler.ts";
import { checkPassword } from "../src/store/accounts.ts";

export const authPassword = defineHandler({
  event: "auth.verify",
  name: "auth-password",
  // scrypt is deliberately slow (~70 ms of CPU); a burst of logins queues on the thread pool.
  timeoutMs: 15_000,
  async handle({ username, password }, ctx) {
    const account = await checkPassword(ctx.db, username, password);
    return account ? { ok: true as const, address: account.address } : { ok: false as const };
  },
});
