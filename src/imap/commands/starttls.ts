// STARTTLS (RFC 9051 §6.2.1): OK, then the handshake; pipelined bytes are discarded and the
// client must ask for CAPABILITY again.

import type { Executor } from "../dispatch.ts";

export const starttls: Executor = async (s, tag, _cmd, conn) => {
  if (s.tls) return s.tagged(tag, "BAD", "TLS is already active");
  if (!conn.capabilities().includes("STARTTLS")) return s.tagged(tag, "BAD", "STARTTLS is not available here");
  await s.tagged(tag, "OK", "Begin TLS negotiation now");
  if (!(await conn.startTls())) s.state = "logout";
};
