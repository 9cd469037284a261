// `hikyaku queue retry|flush|hold|release|delete`: operator changes to the outbound queue.
// Each prints what it changed; an unknown queue id exits 1. They work while the server
// runs: its delivery worker sees the change at its next poll (delivery.pollMs).

import { deleteQueueMessage, flushQueue, retryQueue, setHeld } from "../store/queue-admin.ts";
import type { QueueTarget } from "../store/queue-admin.ts";
import { UsageError, flagBool, flagString } from "./args.ts";
import type { Verb } from "./command.ts";
import { CliError, out } from "./io.ts";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const unknown = (id: string) => new CliError(`no queued message ${id}`);

function retryTarget(positionals: readonly string[], domain: string | undefined, all: boolean): QueueTarget {
  const given = (positionals.length > 0 ? 1 : 0) + (domain === undefined ? 0 : 1) + (all ? 1 : 0);
  if (given !== 1) throw new UsageError("queue retry needs exactly one of <queue-id>, --domain DOMAIN, --all");
  if (positionals.length > 0) return { id: positionals[0] };
  return domain === undefined ? { all: true } : { domain };
}

export const queueRetry: Verb = {
  name: "retry",
  synopsis: "<queue-id> | --domain DOMAIN | --all [--failed]",
  summary: "make queued and deferred recipients due now; --failed also requeues failed ones",
  min: 0,
  max: 1,
  flags: { values: ["domain"], bools: ["all", "failed"] },
  async run(ctx, args) {
    const target = retryTarget(args.positionals, flagString(args, "domain"), flagBool(args, "all"));
    const failed = flagBool(args, "failed");
    const r = await retryQueue(await ctx.db(), target, { failed });
    if (!r) throw unknown((target as { id: string }).id);
    const where = "id" in target ? target.id : "domain" in target ? `domain ${target.domain}` : "all messages";
    const revived = failed ? `, ${plural(r.revived, "failed recipient")} requeued` : "";
    out(`${where}: ${plural(r.retried, "recipient")} due now${revived}`);
  },
};

export const queueFlush: Verb = {
  name: "flush",
  synopsis: "",
  summary: "make every deferred recipient due now (like postqueue -f; held messages stay held)",
  min: 0,
  max: 0,
  async run(ctx) {
    const n = await flushQueue(await ctx.db());
    out(`${plural(n, "deferred recipient")} due now`);
  },
};

function holdVerb(held: boolean): Verb {
  return {
    name: held ? "hold" : "release",
    synopsis: "<queue-id>",
    summary: held ? "put a message on hold: no delivery attempts until released" : "release a held message for delivery",
    min: 1,
    max: 1,
    async run(ctx, args) {
      const id = args.positionals[0];
      const r = await setHeld(await ctx.db(), id, held);
      if (!r) throw unknown(id);
      if (!r.changed) return out(held ? `${id}: already on hold` : `${id}: was not on hold`);
      const inflight = held && r.inflight > 0 ? `; ${plural(r.inflight, "recipient")} in flight finish their current attempt` : "";
      out(`${id}: ${held ? "held" : "released"}, ${plural(r.pending, "waiting recipient")}${inflight}`);
    },
  };
}

export const queueHold = holdVerb(true);
export const queueRelease = holdVerb(false);

export const queueDelete: Verb = {
  name: "delete",
  synopsis: "<queue-id>",
  summary: "remove a message from the queue without sending any DSN (bounce)",
  min: 1,
  max: 1,
  async run(ctx, args) {
    const id = args.positionals[0];
    const r = await deleteQueueMessage(await ctx.db(), id);
    if (!r) throw unknown(id);
    const inflight = r.inflight > 0 ? `; ${plural(r.inflight, "recipient")} in flight may still be delivered` : "";
    out(`${id}: deleted, ${plural(r.recipients, "recipient")} (${r.pending} waiting), no DSN sent${inflight}`);
  },
};
