// Stores and finds handler traces (DESIGN §3), so an operator can ask "why?" by queue id,
// session-transaction id or Message-ID. Entries are written in the transaction's own op.

import { asc, eq, inArray, or } from "drizzle-orm";
import type { InStatement } from "@libsql/client";
import type { Db } from "../db/client.ts";
import type { WriteOp } from "../db/writer.ts";
import { traces } from "../db/schema/mod.ts";

/** One handler decision (the bus's TraceEntry) plus the ids it belongs to. */
export type TraceEntry = {
  transactionId: string;
  messageId?: string | null;
  sessionId: string;
  event: string;
  handler: string;
  verdict: string;
  code: number | null;
  enhanced: string | null;
  text: string | null;
  durationMs: number;
  at: number;
};

export type StoredTrace = typeof traces.$inferSelect;

const ROWS_PER_INSERT = 500;

/** Returns [] for no entries: concatenate it into a larger op rather than writing it alone. */
export function traceOp(entries: readonly TraceEntry[]): WriteOp {
  const stmts: InStatement[] = [];
  for (let i = 0; i < entries.length; i += ROWS_PER_INSERT) {
    const chunk = entries.slice(i, i + ROWS_PER_INSERT);
    stmts.push({
      sql:
        "INSERT INTO traces (transaction_id, message_id, session_id, event, handler, verdict, code, enhanced, text, duration_ms, at) VALUES " +
        chunk.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", "),
      args: chunk.flatMap((e) => [
        e.transactionId,
        e.messageId ?? null,
        e.sessionId,
        e.event,
        e.handler,
        e.verdict,
        e.code,
        e.enhanced,
        e.text,
        e.durationMs,
        e.at,
      ]),
    });
  }
  return stmts;
}

/** By transaction id or Message-ID (with or without angle brackets), oldest first. */
export async function findTraces(db: Db, idOrMessageId: string): Promise<StoredTrace[]> {
  const id = idOrMessageId.trim();
  const bare = id.replace(/^<(.*)>$/, "$1");
  const messageIds = [...new Set([id, bare, `<${bare}>`])];
  return db.orm
    .select()
    .from(traces)
    .where(or(eq(traces.transactionId, id), inArray(traces.messageId, messageIds)))
    .orderBy(asc(traces.at), asc(traces.id));
}
