// `hikyaku alias add|remove|list`: forward a source address (or a whole domain, as a
// catch-all `@domain`) to local or remote destinations.

import { addAlias, listAliases, removeAlias } from "../store/aliases.ts";
import { flagBool } from "./args.ts";
import type { Noun } from "./command.ts";
import { CliError, formatTime, out, printJson, printTable } from "./io.ts";

export const alias: Noun = {
  name: "alias",
  summary: "forwarding addresses and catch-alls",
  notes: [
    "Aliases: a source of `@example.test` is a catch-all for addresses with no account or alias.",
    "Plus-addressing needs no alias: alice+tag@example.test is delivered to alice@example.test.",
  ],
  verbs: [
    {
      name: "add",
      synopsis: "<source> <destination>",
      summary: "forward source (address or @domain) to destination",
      min: 2,
      max: 2,
      async run(ctx, args) {
        const [source, destination] = args.positionals;
        const a = await addAlias(await ctx.db(), source, destination);
        out(`added alias ${a.source} -> ${a.destination}`);
      },
    },
    {
      name: "remove",
      synopsis: "<source> [destination]",
      summary: "remove one forwarding, or all of source's",
      min: 1,
      max: 2,
      async run(ctx, args) {
        const [source, destination] = args.positionals;
        const n = await removeAlias(await ctx.db(), source, destination);
        if (n === 0) throw new CliError(`no such alias: ${source}${destination === undefined ? "" : ` -> ${destination}`}`);
        out(`removed ${n} alias${n === 1 ? "" : "es"}`);
      },
    },
    {
      name: "list",
      synopsis: "",
      summary: "list aliases",
      min: 0,
      max: 0,
      flags: { bools: ["json"] },
      async run(ctx, args) {
        const rows = await listAliases(await ctx.db());
        if (flagBool(args, "json")) return printJson(rows);
        if (rows.length === 0) return out("no aliases");
        printTable(["SOURCE", "DESTINATION", "CREATED"], rows.map((a) => [a.source, a.destination, formatTime(a.createdAt)]));
      },
    },
  ],
};
