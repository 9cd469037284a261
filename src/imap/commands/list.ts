// LIST — placeholder until implemented; answers NO so clients see an honest failure.

import type { Executor } from "../dispatch.ts";

export const list: Executor = async (s, tag) => s.tagged(tag, "NO", "[CANNOT] Not implemented yet");
