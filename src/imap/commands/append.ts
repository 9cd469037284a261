// APPEND — placeholder until implemented; answers NO so clients see an honest failure.

import type { Executor } from "../dispatch.ts";

export const append: Executor = async (s, tag) => s.tagged(tag, "NO", "[CANNOT] Not implemented yet");
