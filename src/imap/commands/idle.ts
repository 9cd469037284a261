// IDLE (RFC 2177, RFC 9051 §6.3.13): changes are pushed as they happen, with a keep-alive
// "* OK Still here" inside NAT timeouts; DONE ends it. The autologout timer still applies.

import type { Executor } from "../dispatch.ts";
import type { ImapSession } from "../session.ts";

/**
 * Every wake-up of the reader that brought no line: a pushed change (poke) or the keep-alive
 * tick. A module function with the reader's own tick, not a closure and an interval per
 * IDLE: an idling session is what thousands of clients keep open for hours.
 */
async function onWake(s: ImapSession, tick: boolean): Promise<void> {
  await s.flushUpdates(true);
  if (tick) await s.line("* OK Still here");
}

export const idle: Executor = async (s, tag, _cmd, conn) => {
  await s.line("+ idling");
  s.idling = true;
  const deadline = Date.now() + conn.idleTimeoutMs;
  try {
    await s.flushUpdates(true);
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) {
        await s.line("* BYE Autologout; idle for too long");
        s.state = "logout";
        return;
      }
      // Wake for a line, a pushed change (poke) or the keep-alive tick, whichever comes first.
      const line = await conn.readRawLine(left, onWake, conn.keepaliveMs);
      if (line === null) {
        if (conn.closed || s.state === "logout") {
          s.state = "logout";
          return;
        }
        // The autologout deadline passed: the loop says BYE.
        continue;
      }
      if (line.toUpperCase() === "DONE") break;
      await s.tagged(tag, "BAD", "Expected DONE");
      return;
    }
  } finally {
    s.idling = false;
  }
  await s.tagged(tag, "OK", "IDLE terminated");
};
