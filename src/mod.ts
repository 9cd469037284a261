// The public API (DESIGN §2): what a user's hikyaku.config.ts and handlers import.

export { createServer, pipeline, type Server, type RunningListener } from "./server.ts";
export { defineHandler, type Handler, type AnyHandler, type HandlerContext, type Services } from "./events/handler.ts";
export { defineConfig, type Config, type ConfigInput } from "./config/schema.ts";
export { parseConfig, loadConfig } from "./config/load.ts";
export { verdict, type Verdict, type Reply } from "./events/verdict.ts";
export { EVENT_KINDS } from "./events/catalog.ts";
export type * from "./events/catalog.ts";
export { defaultHandlers } from "../handlers/mod.ts";
