// `hikyaku queue list`: outbound messages waiting for delivery, one line per recipient
// with its state, attempts, next attempt and last remote reply.

import { listQueue } from "../store/queue.ts";
import { flagBool } from "./args.ts";
import type { Noun } from "./command.ts";
import { formatTime, out, printJson, printTable } from "./io.ts";

export const queue: Noun = {
  name: "queue",
  summary: "the outbound delivery queue",
  verbs: [
    {
      name: "list",
      synopsis: "",
      summary: "list queued messages with per-recipient state",
      min: 0,
      max: 0,
      flags: { bools: ["json"] },
      async run(ctx, args) {
        const entries = await listQueue(await ctx.db());
        if (flagBool(args, "json")) return printJson(entries);
        if (entries.length === 0) return out("queue is empty");
        const rows: string[][] = [];
        for (const e of entries) {
          const from = e.mailFrom === "" ? "<>" : e.mailFrom;
          if (e.recipients.length === 0) rows.push([e.id, from, formatTime(e.createdAt), "-", "-", "-", "-", "-"]);
          e.recipients.forEach((r, i) => {
            const head = i === 0 ? [e.id, from, formatTime(e.createdAt)] : ["", "", ""];
            rows.push([...head, r.address, r.state, String(r.attempts), r.state === "delivered" || r.state === "failed" ? "-" : formatTime(r.nextAttemptAt), r.lastReply ?? "-"]);
          });
        }
        printTable(["QUEUE ID", "FROM", "CREATED", "RECIPIENT", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST REPLY"], rows);
        const n = entries.reduce((s, e) => s + e.recipients.length, 0);
        out(`${entries.length} message${entries.length === 1 ? "" : "s"}, ${n} recipient${n === 1 ? "" : "s"}`);
      },
    },
  ],
};
