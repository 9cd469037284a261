// `hikyaku dkim generate|list|dns|retire|delete`: DKIM signing keys per domain and the DNS
// TXT records to publish for them. Private keys are never printed.

import { dkimTxtRecord, generateDkimKeyPair, zoneFileLine } from "../delivery/dkim-keys.ts";
import type { DkimTxtRecord } from "../delivery/dkim-keys.ts";
import { normalizeDomain, requireDomain } from "../store/address.ts";
import { addDkimKeys, deleteDkimKey, DkimKeyError, getDkimKey, listDkimKeys, requireSelector, retireDkimKey } from "../store/dkim.ts";
import type { DkimKey } from "../store/dkim.ts";
import { isLocalDomain } from "../store/domains.ts";
import { flagBool, flagString } from "./args.ts";
import type { Ctx, Noun } from "./command.ts";
import { CliError, err, formatTime, out, printJson, printTable } from "./io.ts";

/** Default selector base: `hk` + UTC year and month, so a rotation each month gets a new name. */
export function defaultSelector(now: number): string {
  const d = new Date(now);
  return `hk${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}

type KeyView = {
  domain: string;
  selector: string;
  algorithm: DkimKey["algorithm"];
  state: "active" | "retired";
  createdAt: number;
  retiredAt: number | null;
  record: DkimTxtRecord;
  zone: string;
};

function view(k: DkimKey): KeyView {
  const record = dkimTxtRecord(k);
  return {
    domain: k.domain,
    selector: k.selector,
    algorithm: k.algorithm,
    state: k.retiredAt === null ? "active" : "retired",
    createdAt: k.createdAt,
    retiredAt: k.retiredAt,
    record,
    zone: zoneFileLine(record),
  };
}

function printRecords(keys: readonly KeyView[]): void {
  const lines = ["Zone-file form:"];
  for (const k of keys) lines.push(`; ${k.selector} ${k.algorithm} ${k.state}`, k.zone);
  lines.push("", "Name / value form (one TXT record each; split the value into 255-character strings if your DNS host asks):");
  for (const k of keys) lines.push(`name:  ${k.record.name}`, `value: ${k.record.value}`);
  out(lines.join("\n"));
}

function keyError<T>(p: Promise<T>): Promise<T> {
  return p.catch((e: unknown) => {
    throw e instanceof DkimKeyError ? new CliError(e.message) : e;
  });
}

/** The key named by `<domain> <selector>`, or a CLI error. */
async function namedKey(ctx: Ctx, [domain, selector]: string[]) {
  const db = await ctx.db();
  const k = await getDkimKey(db, domain!, selector!);
  if (k === null) throw new CliError(`no DKIM key ${selector} for ${domain}`);
  return { db, k };
}

export const dkim: Noun = {
  name: "dkim",
  summary: "DKIM signing keys (RSA-2048 and Ed25519) and their DNS records",
  notes: [
    "dkim generate makes <selector>-rsa and <selector>-ed (default selector hkYYYYMM); both sign from",
    "  then on, so publish their TXT records right away. A domain that is not a local domain is",
    "  allowed (send-only domains) with a warning. Rotate: generate a new selector, publish it,",
    "  retire the old one, keep its record a few days, then delete it (only retired keys).",
  ],
  verbs: [
    {
      name: "generate",
      synopsis: "<domain> [--selector S]",
      summary: "create an RSA-2048 and an Ed25519 key and print their TXT records",
      min: 1,
      max: 1,
      flags: { values: ["selector"], bools: ["json"] },
      async run(ctx, args) {
        const domain = requireDomain(args.positionals[0]);
        const base = flagString(args, "selector") ?? defaultSelector(Date.now());
        const selectors = { rsa: requireSelectorCli(`${base}-rsa`), ed: requireSelectorCli(`${base}-ed`) };
        const db = await ctx.db();
        for (const s of [selectors.rsa, selectors.ed]) {
          if ((await getDkimKey(db, domain, s)) !== null) throw new CliError(`selector ${s} already exists for ${domain}; choose another with --selector`);
        }
        if (!(await isLocalDomain(db, domain))) err(`hikyaku: warning: ${domain} is not a local domain; its keys sign submitted mail whose From: is in it`);
        const [rsa, ed] = await Promise.all([generateDkimKeyPair("rsa-sha256"), generateDkimKeyPair("ed25519-sha256")]);
        const keys = await keyError(
          addDkimKeys(db, [
            { domain, selector: selectors.rsa, ...rsa },
            { domain, selector: selectors.ed, ...ed },
          ]),
        );
        const views = keys.map(view);
        if (flagBool(args, "json")) return printJson(views);
        out(`generated DKIM keys ${selectors.rsa} (rsa-sha256) and ${selectors.ed} (ed25519-sha256) for ${domain}; publish these DNS TXT records:\n\n`);
        printRecords(views);
      },
    },
    {
      name: "list",
      synopsis: "[domain]",
      summary: "list DKIM keys (active and retired)",
      min: 0,
      max: 1,
      flags: { bools: ["json"] },
      async run(ctx, args) {
        const domain = args.positionals[0];
        if (domain !== undefined && normalizeDomain(domain) === null) throw new CliError(`not a valid domain name: ${JSON.stringify(domain)}`);
        const keys = (await listDkimKeys(await ctx.db(), domain)).map(view);
        if (flagBool(args, "json")) return printJson(keys);
        if (keys.length === 0) return out("no DKIM keys");
        printTable(
          ["DOMAIN", "SELECTOR", "ALGORITHM", "STATE", "CREATED", "RETIRED"],
          keys.map((k) => [k.domain, k.selector, k.algorithm, k.state, formatTime(k.createdAt), formatTime(k.retiredAt)]),
        );
      },
    },
    {
      name: "dns",
      synopsis: "<domain> [--all]",
      summary: "print the TXT records of the domain's active keys (--all: retired too)",
      min: 1,
      max: 1,
      flags: { bools: ["json", "all"] },
      async run(ctx, args) {
        const domain = requireDomain(args.positionals[0]);
        const all = (await listDkimKeys(await ctx.db(), domain)).map(view);
        const keys = flagBool(args, "all") ? all : all.filter((k) => k.state === "active");
        if (flagBool(args, "json")) return printJson(keys);
        if (keys.length === 0) throw new CliError(`no ${flagBool(args, "all") ? "" : "active "}DKIM keys for ${domain}`);
        printRecords(keys);
      },
    },
    {
      name: "retire",
      synopsis: "<domain> <selector>",
      summary: "stop signing with a key (its record can still be printed until deleted)",
      min: 2,
      max: 2,
      async run(ctx, args) {
        const { db, k } = await namedKey(ctx, args.positionals);
        if (k.retiredAt !== null) return out(`${k.selector} for ${k.domain} was already retired at ${formatTime(k.retiredAt)}`);
        await retireDkimKey(db, k.domain, k.selector);
        out(`retired ${k.selector} for ${k.domain}; keep ${dkimTxtRecord(k).name} published a few days so mail already sent still verifies`);
      },
    },
    {
      name: "delete",
      synopsis: "<domain> <selector>",
      summary: "remove a retired key for good (unpublish its record too)",
      min: 2,
      max: 2,
      async run(ctx, args) {
        const { db, k } = await namedKey(ctx, args.positionals);
        // Deleting a signing key would leave mail signed minutes ago unverifiable: retire first.
        if (k.retiredAt === null) throw new CliError(`${k.selector} for ${k.domain} is active; retire it first (hikyaku dkim retire ${k.domain} ${k.selector})`);
        await deleteDkimKey(db, k.domain, k.selector);
        out(`deleted ${k.selector} for ${k.domain}; remove the TXT record ${dkimTxtRecord(k).name}`);
      },
    },
  ],
};

function requireSelectorCli(s: string): string {
  try {
    return requireSelector(s);
  } catch (e) {
    throw e instanceof DkimKeyError ? new CliError(e.message) : e;
  }
}
