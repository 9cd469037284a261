// drizzle-kit configuration: `bun run db:generate` writes SQL migrations to migrations/.
// drizzle-kit reads `module.default ?? module`, so named exports of each option satisfy it
// without a default export (DESIGN §8). Paths are relative to the repo root (script cwd).

export const dialect = "sqlite";
export const schema = "./src/db/schema/mod.ts";
export const out = "./migrations";
export const strict = true;
