// `hikyaku domain add|remove|list`: the domains this server is the final destination for.

import { addDomain, listDomains, removeDomain } from "../store/domains.ts";
import { flagBool } from "./args.ts";
import type { Noun } from "./command.ts";
import { CliError, formatTime, out, printJson, printTable } from "./io.ts";

export const domain: Noun = {
  name: "domain",
  summary: "local domains (mail for them is delivered here)",
  verbs: [
    {
      name: "add",
      synopsis: "<name>",
      summary: "add a local domain",
      min: 1,
      max: 1,
      async run(ctx, args) {
        const d = await addDomain(await ctx.db(), args.positionals[0]);
        out(`added domain ${d.name}`);
      },
    },
    {
      name: "remove",
      synopsis: "<name>",
      summary: "remove a domain and its aliases (refused while it has users)",
      min: 1,
      max: 1,
      async run(ctx, args) {
        const name = args.positionals[0];
        if (!(await removeDomain(await ctx.db(), name))) throw new CliError(`no such domain: ${name}`);
        out(`removed domain ${name}`);
      },
    },
    {
      name: "list",
      synopsis: "",
      summary: "list local domains",
      min: 0,
      max: 0,
      flags: { bools: ["json"] },
      async run(ctx, args) {
        const rows = await listDomains(await ctx.db());
        if (flagBool(args, "json")) return printJson(rows);
        if (rows.length === 0) return out("no domains");
        printTable(["DOMAIN", "CREATED"], rows.map((d) => [d.name, formatTime(d.createdAt)]));
      },
    },
  ],
};
