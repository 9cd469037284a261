// A throw-away Postfix as a receiving MTA for outbound tests: own config, queue and data dirs
// under a temp dir (`postfix -c DIR`), smtpd on one loopback port with STARTTLS (a given
// certificate), virtual(8) delivering the listed mailboxes of one domain to Maildirs; any
// other recipient of that domain is refused at RCPT (550 5.1.1, smtpd_reject_unlisted_recipient).

import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postfixMasterCf } from "./postfix-master.ts";
import { requireTools, run, waitFor } from "./debian.ts";

export const postfixTools = requireTools("Postfix receiver", ["postfix", "postconf"], "apt-get install postfix; bash .ci/run installs it");

/** virtual(8) writes as nobody/nogroup: a non-root owner for the Maildirs. */
const MAIL_UID = 65534;
const MAIL_GID = 65534;

export type PostfixReceiver = {
  dir: string;
  port: number;
  /** Raw messages (latin1) in a mailbox's Maildir new/, oldest name first. */
  messages(localPart: string): string[];
  maillog(): string;
  stop(): Promise<void>;
};

export type PostfixReceiverOptions = {
  port: number;
  hostname: string;
  domain: string;
  localParts: string[];
  cert: { certPem: string; keyPem: string };
};

export async function startPostfixReceiver(o: PostfixReceiverOptions): Promise<PostfixReceiver> {
  const dir = mkdtempSync(join(tmpdir(), "hikyaku-pf-rx-"));
  chmodSync(dir, 0o755); // Postfix daemons (user postfix) traverse to their files
  const etc = join(dir, "etc");
  const mail = join(dir, "mail");
  for (const d of [etc, join(dir, "queue"), join(dir, "data"), mail]) mkdirSync(d, { recursive: true });
  chownSync(mail, MAIL_UID, MAIL_GID);
  const [uid, gid] = await Promise.all([run("id", ["-u", "postfix"]), run("id", ["-g", "postfix"])]);
  if (uid.code !== 0) throw new Error("no postfix user (is the postfix package installed?)");
  chownSync(join(dir, "data"), Number(uid.stdout.trim()), Number(gid.stdout.trim()));
  writeFileSync(join(etc, "cert.pem"), o.cert.certPem, { mode: 0o644 });
  writeFileSync(join(etc, "key.pem"), o.cert.keyPem, { mode: 0o600 });
  writeFileSync(join(etc, "vmailbox"), o.localParts.map((l) => `${l}@${o.domain} ${l}/Maildir/\n`).join(""), { mode: 0o644 });
  const main: Record<string, string> = {
    compatibility_level: "3.6",
    queue_directory: join(dir, "queue"),
    data_directory: join(dir, "data"),
    mail_owner: "postfix",
    setgid_group: "postdrop",
    myhostname: o.hostname,
    mydomain: "test",
    myorigin: "$myhostname",
    mydestination: "",
    relay_domains: "",
    relayhost: "",
    inet_interfaces: "127.0.0.1",
    inet_protocols: "ipv4",
    mynetworks: "127.0.0.0/8",
    smtpd_recipient_restrictions: "permit_mynetworks, reject_unauth_destination",
    alias_maps: "",
    alias_database: "",
    local_recipient_maps: "",
    virtual_alias_maps: "",
    virtual_mailbox_domains: o.domain,
    virtual_mailbox_base: mail,
    virtual_mailbox_maps: `texthash:${join(etc, "vmailbox")}`,
    virtual_uid_maps: `static:${MAIL_UID}`,
    virtual_gid_maps: `static:${MAIL_GID}`,
    virtual_minimum_uid: "100",
    virtual_transport: "virtual",
    smtpd_tls_security_level: "may",
    smtpd_tls_cert_file: join(etc, "cert.pem"),
    smtpd_tls_key_file: join(etc, "key.pem"),
    smtpd_tls_received_header: "yes",
    smtp_dns_support_level: "disabled",
    biff: "no",
    maillog_file: join(dir, "maillog"),
    maillog_file_prefixes: dir,
  };
  writeFileSync(join(etc, "main.cf"), Object.entries(main).map(([k, v]) => `${k} = ${v}\n`).join(""), { mode: 0o644 });
  writeFileSync(join(etc, "master.cf"), postfixMasterCf(o.port), { mode: 0o644 });

  const maillog = () => (existsSync(join(dir, "maillog")) ? readFileSync(join(dir, "maillog"), "utf8") : "(no maillog)");
  const masterPid = (): number | null => {
    const f = join(dir, "queue", "pid", "master.pid");
    if (!existsSync(f)) return null;
    const pid = Number(readFileSync(f, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  };
  let started = false;
  const stop = async () => {
    if (started) {
      const pid = masterPid();
      await run(postfixTools.bin("postfix"), ["-c", etc, "stop"], { timeoutMs: 15_000 }).catch(() => null);
      // `postfix stop` signals only this instance's master; end it by its PID if it lingers.
      if (pid !== null && alive(pid)) {
        await waitFor(async () => alive(pid), (a) => !a, 5000, 100);
        if (alive(pid)) process.kill(pid, "SIGKILL");
      }
      started = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (const action of ["check", "start"]) {
    const r = await run(postfixTools.bin("postfix"), ["-c", etc, action], { timeoutMs: 20_000 });
    if (r.code !== 0 || r.timedOut) {
      const log = maillog();
      await stop();
      throw new Error(`postfix ${action} failed (exit ${r.code}):\n${r.stderr}\n${log}`);
    }
    if (action === "start") started = true;
  }
  return {
    dir,
    port: o.port,
    messages(localPart) {
      const nd = join(mail, localPart, "Maildir", "new");
      if (!existsSync(nd)) return [];
      return readdirSync(nd)
        .sort()
        .map((f) => readFileSync(join(nd, f), "latin1"));
    },
    maillog,
    stop,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
