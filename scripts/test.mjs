// `npm test` runs this after the type check: vitest through its API, then an explicit exit.
// Two of about nine green full runs never exited: after the summary, Node's own handle
// cleanup at a natural exit spun forever (gdb: uv_run inside
// node::Environment::CleanupHandles, from FreeEnvironment). process.exit skips that
// cleanup, so a finished run always ends, with vitest's exit code (1 on any failure).
import { startVitest } from "vitest/node";

const vitest = await startVitest("test", process.argv.slice(2), { run: true, watch: false });
await vitest?.close();
process.exit(process.exitCode ?? 0);
