// Preloaded before every test file (bunfig.toml [test].preload): integration suites start
// real servers and daemons, so the per-test default is raised from Bun's 5 s.

import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(30_000);
