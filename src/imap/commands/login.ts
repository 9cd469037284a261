// LOGIN (RFC 9051 §6.2.3): refused before TLS unless allowed ([PRIVACYREQUIRED]).

import type { Executor } from "../dispatch.ts";
import { failed, loggedIn, verifyPassword } from "../auth.ts";

export const login: Executor<{ name: "LOGIN"; user: string; password: string }> = async (s, tag, cmd, conn) => {
  if (!conn.loginAllowed) return s.tagged(tag, "NO", "[PRIVACYREQUIRED] Use STARTTLS or port 993 first");
  const address = await verifyPassword(s, "LOGIN", cmd.user, cmd.password);
  if (!address) return failed(s, conn, tag, "LOGIN", cmd.user);
  await loggedIn(s, conn, tag, "LOGIN", address);
};
