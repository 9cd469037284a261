// `bun run bench smtp --pipeline`: the cost per message of the inbound trust pipeline. The
// same smtp-source load goes to our server twice in one run: once with every trust handler
// switched off, once with the default MX pipeline checking the client (rate limits, HELO,
// iprev, SPF, DKIM/DMARC/ARC, Authentication-Results, DMARC policy) plus a DNSBL zone,
// against a real Knot DNS server on loopback, and rspamd.

import { join } from "node:path";
import { startDnsServer } from "../helpers/dns-server.ts";
import { startRspamd } from "../helpers/rspamd.ts";
import { TRUST_HANDLERS } from "../../handlers/mod.ts";
import { fmt } from "./proc.ts";

export type PipelineSides = { bare: Record<string, unknown>; full: Record<string, unknown>; stop(): Promise<void>; describe: string };

/** The DNS data the checks need: SPF and DMARC for the smtp-source sender, PTR/A for iprev, a DNSBL zone. */
export async function pipelineSides(): Promise<PipelineSides> {
  const dns = await startDnsServer({
    zones: {
      // TTLs as real zones publish them (the resolver caches positive answers for their TTL).
      "bench.test": [
        { name: "client", type: "A", value: "127.0.0.1", ttl: 300 },
        { name: "client", type: "TXT", value: "v=spf1 ip4:127.0.0.1 -all", ttl: 300 },
        { name: "_dmarc.client", type: "TXT", value: "v=DMARC1; p=reject", ttl: 300 },
        { name: "_dmarc", type: "TXT", value: "v=DMARC1; p=none", ttl: 300 },
      ],
      "0.0.127.in-addr.arpa": [{ name: "1", type: "PTR", value: "client.bench.test.", ttl: 300 }],
      "zen.bench": [{ name: "2.0.0.127", type: "A", value: "127.0.0.2", ttl: 300 }],
    },
  });
  const rspamd = await startRspamd();
  const off = Object.fromEntries(TRUST_HANDLERS.map((t) => [t.key, false]));
  return {
    bare: { trust: off },
    full: {
      dns: { servers: [dns.address], timeoutMs: 2000, tries: 1 },
      trust: {
        trustedNetworks: [],
        dnsbl: { zones: [{ zone: "zen.bench" }] },
        rspamd: { url: rspamd.url },
        // The bench's thousands of messages from one client must not hit the per-IP limits.
        rateLimit: { ip: { connections: false, messages: false, recipients: false } },
      },
    },
    describe: `Knot ${dns.address}, rspamd ${rspamd.url}`,
    async stop() {
      await rspamd.stop();
      await dns.stop();
    },
  };
}

export function costLine(messages: number, bareMs: number, fullMs: number): string {
  const per = (fullMs - bareMs) / messages;
  return `pipeline cost: ${fmt(per, 2)} ms per message of wall time at this concurrency (${fmt((messages * 1000) / bareMs)} → ${fmt((messages * 1000) / fullMs)} msgs/s, ratio ${fmt(bareMs / fullMs, 2)}x)`;
}

export function dirs(root: string, i: number): { bare: string; full: string } {
  return { bare: join(root, `bare-${i}`), full: join(root, `full-${i}`) };
}
