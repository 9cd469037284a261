// SUBSCRIBE / UNSUBSCRIBE — placeholder until implemented.

import type { Executor } from "../dispatch.ts";

export const subscribe: Executor = async (s, tag) => s.tagged(tag, "NO", "[CANNOT] Not implemented yet");
export const unsubscribe: Executor = async (s, tag) => s.tagged(tag, "NO", "[CANNOT] Not implemented yet");
