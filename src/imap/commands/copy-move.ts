// COPY / MOVE — placeholder until implemented.

import type { Executor } from "../dispatch.ts";

export const copy: Executor = async (s, tag) => s.tagged(tag, "NO", "[CANNOT] Not implemented yet");
export const move: Executor = async (s, tag) => s.tagged(tag, "NO", "[CANNOT] Not implemented yet");
