// IDLE (RFC 2177, RFC 9051 §6.3.13): changes are pushed as they happen, with a keep-alive
// "* OK Still here" inside NAT timeouts; DONE ends it. The autologout timer still applies.

import type { Executor } from "../dispatch.ts";

export const idle: Executor = async (s, tag, _cmd, conn) => {
  await s.line("+ idling");
  s.idling = { tag };
  const deadline = Date.now() + conn.idleTimeoutMs;
  // A repeating tick: every wake-up of the reader may consume it, so a one-shot timer would
  // leave the rest of the IDLE without keep-alives.
  let keepalive = false;
  const tick = setInterval(() => {
    keepalive = true;
    conn.poke();
  }, conn.keepaliveMs);
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
      const line = await conn.readRawLine(left, async () => {
        await s.flushUpdates(true);
        if (keepalive) {
          keepalive = false;
          await s.line("* OK Still here");
        }
      });
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
    clearInterval(tick);
    s.idling = null;
  }
  await s.tagged(tag, "OK", "IDLE terminated");
};
