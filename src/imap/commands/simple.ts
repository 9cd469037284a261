// The small commands: CAPABILITY, NOOP, LOGOUT, ID (RFC 2971), NAMESPACE (RFC 2342), CHECK.

import type { Executor } from "../dispatch.ts";

export const capability: Executor = async (s, tag, _cmd, conn) => {
  await s.line(`* CAPABILITY ${conn.capabilities().join(" ")}`);
  await s.tagged(tag, "OK", "CAPABILITY completed");
};

/** RFC 9051 §6.1.2: NOOP is how clients poll; pending changes are announced here. */
export const noop: Executor = async (s, tag) => {
  await s.flushUpdates(true);
  await s.tagged(tag, "OK", "NOOP completed");
};

export const logout: Executor = async (s, tag) => {
  await s.line("* BYE Logging out");
  s.deselect();
  s.state = "logout";
  await s.tagged(tag, "OK", "LOGOUT completed");
};

/** RFC 2971: we answer with our name; the client's parameters are only logged. */
export const id: Executor<{ name: "ID"; params: Readonly<Record<string, string | null>> | null }> = async (s, tag, cmd) => {
  if (cmd.params) s.log.info("client id", { id: cmd.params });
  await s.line('* ID ("name" "Hikyaku" "vendor" "Hikyaku")');
  await s.tagged(tag, "OK", "ID completed");
};

/** RFC 2342 / RFC 9051 §6.3.10: one personal namespace, no prefix, "/" as delimiter. */
export const namespace: Executor = async (s, tag) => {
  await s.line('* NAMESPACE (("" "/")) NIL NIL');
  await s.tagged(tag, "OK", "NAMESPACE completed");
};

/** RFC 3501 §6.4.1: CHECK is a NOOP here — every change is durable before it is answered. */
export const check: Executor = async (s, tag) => {
  await s.flushUpdates(true);
  await s.tagged(tag, "OK", "CHECK completed");
};
