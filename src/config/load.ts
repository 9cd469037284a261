// Loads the configuration: the file named by HIKYAKU_CONFIG or ./hikyaku.config.ts,
// then HIKYAKU_DATA. The only module that reads the environment (DESIGN §2).

import * as v from "valibot";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Config, type ConfigInput } from "./schema.ts";

export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
}

export function parseConfig(input: ConfigInput): Config {
  const r = v.safeParse(Config, input);
  if (!r.success) {
    const issues = r.issues.map((i) => `${v.getDotPath(i) ?? "(root)"}: ${i.message}`).join("; ");
    throw new ConfigError(`invalid configuration: ${issues}`);
  }
  return r.output;
}

export type LoadedConfig = { config: Config; file: string | null };

export async function loadConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Promise<LoadedConfig> {
  const named = env.HIKYAKU_CONFIG;
  const file = named ? resolve(cwd, named) : resolve(cwd, "hikyaku.config.ts");
  let input: ConfigInput = {};
  let used: string | null = null;
  if (existsSync(file)) {
    const mod = (await import(pathToFileURL(file).href)) as { default?: ConfigInput; config?: ConfigInput };
    input = mod.default ?? mod.config ?? {};
    used = file;
  } else if (named) {
    throw new ConfigError(`HIKYAKU_CONFIG names ${named}, which does not exist`);
  }
  if (env.HIKYAKU_DATA) input = { ...input, dataDir: env.HIKYAKU_DATA };
  const config = parseConfig(input);
  return { config: { ...config, dataDir: resolve(cwd, config.dataDir) }, file: used };
}

export function databaseUrl(config: Config): string {
  return config.database.url ?? `file:${resolve(config.dataDir, "hikyaku.db")}`;
}
