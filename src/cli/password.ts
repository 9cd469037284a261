// Where a new password comes from: --password-file, else piped stdin, else typed twice
// on the TTY. Never from argv, which `ps` and shell history would expose.

import { readFileSync } from "node:fs";
import type { Parsed } from "./args.ts";
import { flagString } from "./args.ts";
import { CliError, firstLine, promptHidden, readStdinLine, stdinIsTty } from "./io.ts";

export const PASSWORD_NOTE =
  "Passwords: --password-file FILE (first line), else the first line of stdin when it is not a terminal, else prompted twice without echo. Never as an argument.";

export async function readNewPassword(args: Parsed, address: string): Promise<string> {
  const file = flagString(args, "password-file");
  let password: string;
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new CliError(`cannot read password file ${file}: ${(e as { code?: string }).code ?? String(e)}`);
    }
    password = firstLine(text);
  } else if (!stdinIsTty()) {
    password = await readStdinLine();
  } else {
    password = await promptHidden(`New password for ${address}: `);
    const again = await promptHidden("Repeat password: ");
    if (again !== password) throw new CliError("passwords do not match");
  }
  if (password === "") throw new CliError("empty password refused");
  return password;
}
