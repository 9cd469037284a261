// `hikyaku queue list`: outbound messages waiting for delivery, one line per recipient
// with its state, attempts, next attempt and last remote reply; HELD marks an operator hold.

import { RECIPIENT_STATES, listQueue } from "../store/queue.ts";
import type { QueueFilter, RecipientState } from "../store/queue.ts";
import { UsageError, flagBool, flagString } from "./args.ts";
import type { Verb } from "./command.ts";
import { formatTime, out, printJson, printTable } from "./io.ts";

function stateFlag(value: string | undefined): RecipientState | undefined {
  if (value === undefined) return undefined;
  const s = RECIPIENT_STATES.find((x) => x === value.toLowerCase());
  if (!s) throw new UsageError(`--state must be one of ${RECIPIENT_STATES.join(", ")}`);
  return s;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export const queueList: Verb = {
  name: "list",
  synopsis: "[--domain DOMAIN] [--state STATE]",
  summary: "list queued messages with per-recipient state (HELD: on hold)",
  min: 0,
  max: 0,
  flags: { values: ["domain", "state"], bools: ["json"] },
  async run(ctx, args) {
    const filter: QueueFilter = { domain: flagString(args, "domain"), state: stateFlag(flagString(args, "state")) };
    const filtered = filter.domain !== undefined || filter.state !== undefined;
    const entries = await listQueue(await ctx.db(), filter);
    if (flagBool(args, "json")) return printJson(entries);
    if (entries.length === 0) return out(filtered ? "no matching recipients" : "queue is empty");
    const rows: string[][] = [];
    for (const e of entries) {
      const from = e.mailFrom === "" ? "<>" : e.mailFrom;
      const id = e.held ? `${e.id} HELD` : e.id;
      if (e.recipients.length === 0) rows.push([id, from, formatTime(e.createdAt), "-", "-", "-", "-", "-"]);
      e.recipients.forEach((r, i) => {
        const head = i === 0 ? [id, from, formatTime(e.createdAt)] : ["", "", ""];
        const next = r.state === "delivered" || r.state === "failed" ? "-" : formatTime(r.nextAttemptAt);
        rows.push([...head, r.address, r.state, String(r.attempts), next, r.lastReply ?? "-"]);
      });
    }
    printTable(["QUEUE ID", "FROM", "CREATED", "RECIPIENT", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST REPLY"], rows);
    const n = entries.reduce((s, e) => s + e.recipients.length, 0);
    const held = entries.filter((e) => e.held).length;
    out(`${plural(entries.length, "message")}${held > 0 ? ` (${held} held)` : ""}, ${plural(n, "recipient")}`);
  },
};
