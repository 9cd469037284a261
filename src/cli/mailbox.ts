// `hikyaku mailbox list <address>`: an account's mailboxes with special use, message,
// unseen and size counts — what an operator checks when a user says "my mail is gone".

import { findAccount } from "../store/accounts.ts";
import { listMailboxes } from "../store/imap-status.ts";
import { flagBool } from "./args.ts";
import type { Noun } from "./command.ts";
import { err, out, printJson, printTable } from "./io.ts";

export const mailbox: Noun = {
  name: "mailbox",
  summary: "an account's mailboxes",
  verbs: [
    {
      name: "list",
      synopsis: "<address>",
      summary: "list an account's mailboxes with message counts",
      min: 1,
      max: 1,
      flags: { bools: ["json"] },
      async run(ctx, args) {
        const db = await ctx.db();
        const address = args.positionals[0];
        const account = await findAccount(db, address);
        if (!account) {
          err(`no such user: ${address}`);
          return 1;
        }
        const boxes = await listMailboxes(db, account.id, { counts: true });
        if (flagBool(args, "json")) return printJson(boxes);
        printTable(
          ["MAILBOX", "SPECIAL-USE", "MESSAGES", "UNSEEN", "SIZE", "UIDVALIDITY", "UIDNEXT", "SUBSCRIBED"],
          boxes.map((b) => [b.name, b.specialUse ?? "-", String(b.messages), String(b.unseen), String(b.size), String(b.uidValidity), String(b.uidNext), b.subscribed ? "yes" : "no"]),
        );
      },
    },
  ],
};
