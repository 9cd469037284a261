// `hikyaku user add|remove|list|passwd|disable|enable`: mail accounts. Passwords come
// from a file, piped stdin or a no-echo prompt (password.ts), never from argv.

import { addAccount, findAccount, listAccounts, removeAccount, setDisabled, setPassword } from "../store/accounts.ts";
import { requireAddress } from "../store/address.ts";
import { isLocalDomain } from "../store/domains.ts";
import { StoreError } from "../store/errors.ts";
import type { Parsed } from "./args.ts";
import { flagBool } from "./args.ts";
import type { Ctx, Noun, Verb } from "./command.ts";
import { CliError, formatTime, out, printJson, printTable } from "./io.ts";
import { PASSWORD_NOTE, readNewPassword } from "./password.ts";

const PASSWORD_FLAGS = { values: ["password-file"] };

function toggle(name: "disable" | "enable"): Verb {
  const disabled = name === "disable";
  return {
    name,
    synopsis: "<address>",
    summary: disabled ? "refuse logins (mail is still accepted)" : "allow logins again",
    min: 1,
    max: 1,
    async run(ctx: Ctx, args: Parsed) {
      const address = args.positionals[0];
      if (!(await setDisabled(await ctx.db(), address, disabled))) throw new CliError(`no such user: ${address}`);
      out(`${disabled ? "disabled" : "enabled"} user ${address}`);
    },
  };
}

export const user: Noun = {
  name: "user",
  summary: "mail accounts (login and mailboxes)",
  notes: [PASSWORD_NOTE],
  verbs: [
    {
      name: "add",
      synopsis: "<address> [--password-file FILE]",
      summary: "add an account with the default mailboxes",
      min: 1,
      max: 1,
      flags: PASSWORD_FLAGS,
      async run(ctx, args) {
        const address = args.positionals[0];
        const db = await ctx.db();
        // Checked before asking, so nobody types a password twice for nothing; addAccount
        // still enforces both in the write itself.
        const domain = requireAddress(address).domain;
        if (!(await isLocalDomain(db, domain))) throw new StoreError("DOMAIN_NOT_FOUND", `domain ${domain} is not a local domain`);
        if (await findAccount(db, address)) throw new StoreError("ACCOUNT_EXISTS", `account ${address} already exists`);
        const password = await readNewPassword(args, address);
        const a = await addAccount(db, address, password);
        out(`added user ${a.address}`);
      },
    },
    {
      name: "remove",
      synopsis: "<address>",
      summary: "remove an account and all its mail",
      min: 1,
      max: 1,
      async run(ctx, args) {
        const address = args.positionals[0];
        if (!(await removeAccount(await ctx.db(), address))) throw new CliError(`no such user: ${address}`);
        out(`removed user ${address}`);
      },
    },
    {
      name: "list",
      synopsis: "",
      summary: "list accounts",
      min: 0,
      max: 0,
      flags: { bools: ["json"] },
      async run(ctx, args) {
        const rows = await listAccounts(await ctx.db());
        if (flagBool(args, "json")) return printJson(rows);
        if (rows.length === 0) return out("no users");
        printTable(
          ["ADDRESS", "STATUS", "CREATED"],
          rows.map((a) => [a.address, a.disabled ? "disabled" : "active", formatTime(a.createdAt)]),
        );
      },
    },
    {
      name: "passwd",
      synopsis: "<address> [--password-file FILE]",
      summary: "set a new password",
      min: 1,
      max: 1,
      flags: PASSWORD_FLAGS,
      async run(ctx, args) {
        const address = args.positionals[0];
        const db = await ctx.db();
        if (!(await findAccount(db, address))) throw new CliError(`no such user: ${address}`);
        const password = await readNewPassword(args, address);
        if (!(await setPassword(db, address, password))) throw new CliError(`no such user: ${address}`);
        out(`password changed for ${address}`);
      },
    },
    toggle("disable"),
    toggle("enable"),
  ],
};
