// ENABLE (RFC 5161, RFC 9051 §6.3.1): IMAP4rev2, CONDSTORE, QRESYNC, UTF8=ACCEPT.

import type { Executor } from "../dispatch.ts";

const KNOWN = new Set(["IMAP4REV2", "CONDSTORE", "QRESYNC", "UTF8=ACCEPT"]);

export const enable: Executor<{ name: "ENABLE"; capabilities: readonly string[] }> = async (s, tag, cmd) => {
  const now: string[] = [];
  for (const raw of cmd.capabilities) {
    const c = raw.toUpperCase();
    if (!KNOWN.has(c) || s.enabled.has(c)) continue;
    s.enable(c);
    now.push(c === "IMAP4REV2" ? "IMAP4rev2" : c);
    // RFC 7162 §3.2.3: QRESYNC implies CONDSTORE.
    if (c === "QRESYNC" && !s.enabled.has("CONDSTORE")) s.enable("CONDSTORE");
    if (s.selected && (c === "CONDSTORE" || c === "QRESYNC")) s.selected.condstore = true;
  }
  await s.line(`* ENABLED${now.map((c) => " " + c).join("")}`);
  await s.tagged(tag, "OK", "ENABLE completed");
};
