// `hikyaku queue …`: inspect and steer the outbound delivery queue. One file per group of
// verbs (queue-list, queue-show, queue-change); this one only assembles the noun.

import type { Noun } from "./command.ts";
import { queueDelete, queueFlush, queueHold, queueRelease, queueRetry } from "./queue-change.ts";
import { queueList } from "./queue-list.ts";
import { queueShow } from "./queue-show.ts";

export const queue: Noun = {
  name: "queue",
  summary: "the outbound delivery queue",
  verbs: [queueList, queueShow, queueRetry, queueFlush, queueHold, queueRelease, queueDelete],
  notes: [
    "Queue: retry and flush never touch failed recipients unless `retry --failed` is given (they go back",
    "  to queued with a fresh lifetime; a bounce may already have gone out). delete sends no DSN. A running",
    "  server picks changes up at its next poll (at most delivery.pollMs).",
  ],
};
