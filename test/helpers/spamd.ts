// A real spamd (Debian spamd + spamassassin) on 127.0.0.1 for the SpamAssassin tests. Debian
// ships the stock rules in /usr/share/spamassassin (GTUBE included), so no sa-update is needed;
// the site config directory is ours: init.pre loads only the Check plugin (no network plugins),
// local.cf adds a deterministic rule. `-L` keeps every test local.

import { writeFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import { daemonDir, freePort, spawnDaemon, type Daemon } from "./clamd.ts";
import { requireTools } from "./debian.ts";

export const spamdTool = requireTools("spamassassin (spamd)", ["spamd"], "apt-get install spamd spamassassin, or bash .ci/run");

export const SPAM_TOKEN = "HIKYAKU-TEST-SPAM";
/** GTUBE (https://spamassassin.apache.org/gtube/), in parts so this source is not itself spam. */
export const GTUBE = ["XJS*C4JDBQADN1.NSBN3*2IDNEN*", "GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"].join("");

/** spamd's PING: "PING SPAMC/1.5" → "SPAMD/1.5 0 PONG". */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => s.end("PING SPAMC/1.5\r\n\r\n"));
    let got = "";
    s.setEncoding("latin1");
    s.on("data", (d: string) => (got += d));
    s.on("error", () => resolve(false));
    s.on("close", () => resolve(/ 0 PONG/.test(got)));
  });
}

export type Spamd = Daemon & { port: number };

export async function startSpamd(): Promise<Spamd> {
  const dir = daemonDir("hikyaku-spamd-");
  writeFileSync(join(dir, "init.pre"), "loadplugin Mail::SpamAssassin::Plugin::Check\n");
  writeFileSync(
    join(dir, "local.cf"),
    [
      "body HIKYAKU_TEST /HIKYAKU-TEST-SPAM/",
      "score HIKYAKU_TEST 20",
      "describe HIKYAKU_TEST Hikyaku test token",
      "required_score 5.0",
      "",
    ].join("\n"),
  );
  const port = await freePort();
  const cmd = [
    spamdTool.bin("spamd"),
    "-L",
    `--listen=127.0.0.1:${port}`,
    "--allowed-ips=127.0.0.1",
    `--siteconfigpath=${dir}`,
    `--pidfile=${join(dir, "spamd.pid")}`,
    "--syslog=stderr",
    "--min-children=1",
    "--max-children=2",
    "--nouser-config",
    "-u",
    "nobody",
  ];
  const d = await spawnDaemon(cmd, dir, () => ping(port));
  return { ...d, port };
}
