// `hikyaku queue show <id>`: everything stored about one outbound message — envelope and
// DSN parameters, each recipient's state, and every delivery attempt (time, host, outcome, reply).

import { getQueueDetail } from "../store/queue-admin.ts";
import type { QueueDetail } from "../store/queue-admin.ts";
import { flagBool } from "./args.ts";
import type { Verb } from "./command.ts";
import { CliError, formatTime, out, printJson, printTable } from "./io.ts";

const dash = (v: string | null | undefined) => (v === null || v === undefined || v === "" ? "-" : v);

function printMessage(d: QueueDetail): void {
  const fields: [string, string][] = [
    ["queue id", d.id],
    ["from", d.mailFrom === "" ? "<> (null sender)" : d.mailFrom],
    ["created", formatTime(d.createdAt)],
    ["expires", formatTime(d.expiresAt)],
    ["held", d.held ? "yes (`hikyaku queue release` to deliver)" : "no"],
    ["body", d.bodyHash],
    ["body type", dash(d.bodyType)],
    ["smtputf8", d.smtputf8 ? "yes" : "no"],
    ["requiretls", d.requiretls ? "yes" : "no"],
    ["envid", dash(d.envid)],
    ["ret", dash(d.ret)],
    ["auth user", dash(d.authUser)],
    ["client ip", dash(d.clientIp)],
  ];
  const width = Math.max(...fields.map(([k]) => k.length));
  out(fields.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n"));
}

function printRecipients(d: QueueDetail): void {
  out("");
  printTable(
    ["RECIPIENT", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "NOTIFY", "ORCPT", "STATUS", "REMOTE MTA", "LAST REPLY"],
    d.recipients.map((r) => {
      const next = r.state === "delivered" || r.state === "failed" ? "-" : formatTime(r.nextAttemptAt);
      const state = r.state === "inflight" ? `inflight (${dash(r.leaseOwner)} until ${formatTime(r.leaseUntil)})` : r.state;
      return [r.address, state, String(r.attempts), next, dash(r.notify), dash(r.orcpt), dash(r.lastStatus), dash(r.remoteMta), dash(r.lastReply)];
    }),
  );
}

function printHistory(d: QueueDetail): void {
  const rows = d.recipients
    .flatMap((r) => r.history.map((h) => ({ ...h, address: r.address })))
    .sort((a, b) => a.at - b.at || a.id - b.id)
    .map((h) => [formatTime(h.at), h.address, dash(h.host), h.outcome, h.reply]);
  out("");
  if (rows.length === 0) return out("no delivery attempts yet");
  printTable(["TIME", "RECIPIENT", "HOST", "OUTCOME", "REPLY"], rows);
}

export const queueShow: Verb = {
  name: "show",
  synopsis: "<queue-id>",
  summary: "one message: envelope, recipients and every delivery attempt",
  min: 1,
  max: 1,
  flags: { bools: ["json"] },
  async run(ctx, args) {
    const id = args.positionals[0];
    const d = await getQueueDetail(await ctx.db(), id);
    if (!d) throw new CliError(`no queued message ${id}`);
    if (flagBool(args, "json")) return printJson(d);
    printMessage(d);
    printRecipients(d);
    printHistory(d);
  },
};
