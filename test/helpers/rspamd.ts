// A real rspamd (Debian rspamd) on 127.0.0.1 for the rspamd tests, from a config written here:
// only a normal worker (no controller, no proxy, no redis), DNS pointed at a dead port so no
// module reaches the network, and a Lua file with deterministic rules:
//   HIKYAKU_TEST_SPAM (token HIKYAKU-TEST-SPAM, score 20 → reject at 15),
//   HIKYAKU_TEST_JUNK (token HIKYAKU-TEST-JUNK, score 8 → add header at 6),
//   HIKYAKU_ENVELOPE (score 0; options echo what rspamd read from our request headers).
// GTUBE is recognised by rspamd's core without any rule.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { daemonDir, freePort, spawnDaemon, type Daemon } from "./clamd.ts";
import { requireTools } from "./debian.ts";

export const rspamdTool = requireTools("rspamd", ["rspamd"], "apt-get install rspamd, or bash .ci/run");

export const JUNK_TOKEN = "HIKYAKU-TEST-JUNK";

const RULES = `
local function has(task, token)
  local c = task:get_rawbody()
  return c ~= nil and c:find(token, 1, true) ~= nil
end
rspamd_config.HIKYAKU_TEST_SPAM = {
  callback = function(task) return has(task, "HIKYAKU-TEST-SPAM") end,
  score = 20.0,
  description = "Hikyaku test token: spam",
}
rspamd_config.HIKYAKU_TEST_JUNK = {
  callback = function(task) return has(task, "HIKYAKU-TEST-JUNK") end,
  score = 8.0,
  description = "Hikyaku test token: junk",
}
rspamd_config.HIKYAKU_ENVELOPE = {
  callback = function(task)
    local opts = {}
    local ip = task:get_from_ip()
    if ip and ip:is_valid() then table.insert(opts, "ip=" .. ip:to_string()) end
    local helo = task:get_helo()
    if helo then table.insert(opts, "helo=" .. helo) end
    local from = task:get_from('smtp')
    if from and from[1] then table.insert(opts, "from=" .. (from[1].addr or "")) end
    for _, r in ipairs(task:get_recipients('smtp') or {}) do table.insert(opts, "rcpt=" .. r.addr) end
    local user = task:get_user()
    if user then table.insert(opts, "user=" .. user) end
    task:insert_result("HIKYAKU_ENVELOPE", 1.0, opts)
    return false
  end,
  score = 0.0,
  description = "Echoes the envelope rspamd read",
}
`;

export type Rspamd = Daemon & { url: string };

export async function startRspamd(): Promise<Rspamd> {
  const dir = daemonDir("hikyaku-rspamd-");
  const port = await freePort();
  writeFileSync(join(dir, "rules.lua"), RULES);
  writeFileSync(
    join(dir, "rspamd.conf"),
    `options {
  pidfile = "${dir}/rspamd.pid";
  dbdir = "${dir}";
  tmpdir = "${dir}";
  dns { nameserver = ["127.0.0.1:9"]; timeout = 0.2s; retransmits = 1; }
  local_addrs = [];
}
logging { type = "console"; level = "notice"; }
worker "normal" { bind_socket = "127.0.0.1:${port}"; count = 1; }
actions { reject = 15; add_header = 6; greylist = 4; }
lua = "${dir}/rules.lua";
`,
  );
  const url = `http://127.0.0.1:${port}`;
  const ready = async () => (await (await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) })).text()).includes("pong");
  // rspamd compiles its TLD list at start-up: allow time on a busy CI machine.
  const d = await spawnDaemon([rspamdTool.bin("rspamd"), "-f", "-i", "-c", join(dir, "rspamd.conf")], dir, ready, 120_000);
  return { ...d, url };
}
