// Built-in `address.resolve` provider: local account, alias (chains, catch-all,
// plus-addressing) or a foreign domain, from the store.

import { defineHandler } from "../src/events/handler.ts";
import { resolveRecipient } from "../src/store/resolve.ts";

export const resolveAddress = defineHandler({
  event: "address.resolve",
  name: "resolve-address",
  timeoutMs: 5000,
  handle: ({ address }, ctx) => resolveRecipient(ctx.db, address),
});
