// `hikyaku trace <queue-id or message-id>`: what each handler decided for a transaction,
// so an operator can answer "why was this rejected / delayed?" from stored data.

import { findTraces } from "../store/traces.ts";
import type { StoredTrace } from "../store/traces.ts";
import { flagBool } from "./args.ts";
import type { Noun } from "./command.ts";
import { CliError, formatTime, out, printJson, printTable } from "./io.ts";

function reply(t: StoredTrace): string {
  return [t.code === null ? "" : String(t.code), t.enhanced ?? "", t.text ?? ""].filter((x) => x !== "").join(" ") || "-";
}

function printTransaction(entries: readonly StoredTrace[]): void {
  const first = entries[0];
  const head = [`transaction ${first.transactionId}`, `session ${first.sessionId}`];
  const messageId = entries.find((e) => e.messageId !== null)?.messageId;
  if (messageId) head.push(`message-id ${messageId}`);
  out(head.join("  "));
  printTable(
    ["TIME", "EVENT", "HANDLER", "VERDICT", "MS", "REPLY"],
    entries.map((t) => [formatTime(t.at), t.event, t.handler, t.verdict, t.durationMs.toFixed(1), reply(t)]),
  );
}

export const trace: Noun = {
  name: "trace",
  summary: "handler decisions recorded for a message",
  notes: ["Trace: give a queue id (transaction id) or a Message-ID, with or without <angle brackets>."],
  verbs: [
    {
      name: null,
      synopsis: "<queue-id|message-id>",
      summary: "show each handler's verdict, reply and duration",
      min: 1,
      max: 1,
      flags: { bools: ["json"] },
      async run(ctx, args) {
        const id = args.positionals[0];
        const rows = await findTraces(await ctx.db(), id);
        if (rows.length === 0) throw new CliError(`no trace found for ${id}`);
        if (flagBool(args, "json")) return printJson(rows);
        // A Message-ID can match several transactions (a resend): one table each.
        const groups = new Map<string, StoredTrace[]>();
        for (const r of rows) {
          const g = groups.get(r.transactionId);
          if (g) g.push(r);
          else groups.set(r.transactionId, [r]);
        }
        let first = true;
        for (const entries of groups.values()) {
          if (!first) out("");
          first = false;
          printTransaction(entries);
        }
      },
    },
  ],
};
