// Built-in `address.resolve` provider: local account, alias (chains, catch-all,
// plus-addressing) or a foreign domain, from the store.

import { defineHandler } from "../src/events/handler.ts";
import { resolveRecipient } from "../src/store/resolve.ts";
import { listDomains } from "../src/store/domains.ts";

export const resolveAddress = defineHandler({
  event: "address.resolve",
  name: "resolve-address",
  timeoutMs: 5000,
  async handle({ address }, ctx) {
    const r = await resolveRecipient(ctx.db, address);
    // RFC 5321 §4.5.1: a bare "Postmaster" (the session names it postmaster@<hostname>)
    // must be accepted even when the host name is not one of our mail domains.
    const bare = `postmaster@${ctx.config.hostname.toLowerCase()}`;
    if (r.kind !== "local" && address.toLowerCase() === bare) {
      for (const d of await listDomains(ctx.db)) {
        const p = await resolveRecipient(ctx.db, `postmaster@${d.name}`);
        if (p.kind === "local") return p;
      }
    }
    return r;
  },
});
