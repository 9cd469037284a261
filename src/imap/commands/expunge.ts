// EXPUNGE / UID EXPUNGE — placeholder until implemented.

import type { Executor } from "../dispatch.ts";

export const expunge: Executor = async (s, tag) => s.tagged(tag, "NO", "[CANNOT] Not implemented yet");
export const uidExpunge: Executor = async (s, tag) => s.tagged(tag, "NO", "[CANNOT] Not implemented yet");
