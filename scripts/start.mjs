// `npm start`: serve the worker locally with wrangler dev on http://127.0.0.1:8787 (PORT overrides).
// Creates .dev.vars from .dev.vars.example on first run so the README's tokens work, and gives it a
// random development REPLICATION_ENCRYPTION_KEY when it has none.
//
// Demo, on unless DEMO=off (in the environment, or a `DEMO=off` line in .dev.vars): starts the
// in-memory PostgreSQL of scripts/demo-source.mjs on 127.0.0.1:5433 (DEMO_PG_PORT overrides),
// whose table demo_orders changes every second, and once the worker answers, creates the
// replication job demo_orders (scripts/demo-job.mjs) that copies it every 2 seconds.
// With the demo off, a demo job left by an earlier run is paused.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, copyFileSync, existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { demoBanner, demoJobClient } from "./demo-job.mjs";
import { demoPort, startDemoSource } from "./demo-source.mjs";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("created .dev.vars from .dev.vars.example (dev tokens)");
}
let devVars = readDevVars(".dev.vars");
if (!devVars.REPLICATION_ENCRYPTION_KEY) {
  // Jobs' passwords are stored sealed under this key; a deployment sets its own with `wrangler secret put`.
  appendFileSync(
    ".dev.vars",
    `\n# Development key for source passwords at rest (README "Credentials")\nREPLICATION_ENCRYPTION_KEY=${randomBytes(32).toString("base64url")}\n`,
  );
  console.log("added a development REPLICATION_ENCRYPTION_KEY to .dev.vars");
  devVars = readDevVars(".dev.vars");
}
const port = process.env.PORT ?? "8787";
const demoWanted = (process.env.DEMO ?? devVars.DEMO ?? "on").toLowerCase() !== "off";
let pgPort;
try {
  pgPort = demoPort();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

// No network here or in CI: do not ask Cloudflare for a Request.cf object.
const envVars = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };
const wranglerBin = fileURLToPath(new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url));
const wrangler = spawn(process.execPath, [wranglerBin, "dev", "--port", port, "--ip", "127.0.0.1"], {
  stdio: "inherit",
  env: envVars,
});

// PGlite takes a few seconds to start: it does so while wrangler builds the worker.
const demoStarted = demoWanted
  ? startDemoSource({ port: pgPort }).catch((error) => {
      console.error(`demo source not started (${error.message}); set DEMO_PG_PORT to a free port, or DEMO=off`);
      return null;
    })
  : Promise.resolve(null);

let stopping = null;
function shutdown(signal) {
  stopping ??= (async () => {
    if (wrangler.exitCode === null && wrangler.signalCode === null) {
      wrangler.kill(signal);
      setTimeout(() => wrangler.kill("SIGKILL"), 10_000).unref();
    }
    await (await demoStarted)?.stop().catch((error) => console.error(`demo source: ${error.message}`));
  })();
  return stopping;
}
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));
wrangler.on("exit", async (code) => {
  await shutdown("SIGTERM");
  process.exit(code ?? 0);
});

const base = `http://127.0.0.1:${port}`;
const token = devVars.ADMIN_AUTHORIZATION_TOKEN;
const jobs = demoJobClient({ base, token, cancelled: () => stopping !== null });
demoStarted.then(async (demo) => {
  try {
    if (demo) {
      if (await jobs.create(demo)) console.log(demoBanner({ base, token, host: demo.host, port: demo.port }));
    } else if (await jobs.pauseLeftover({ port: pgPort })) {
      console.log("paused the replication job demo_orders of an earlier demo run (the demo source is not running)");
    }
  } catch (error) {
    console.error(`demo job: ${error.message}`);
  }
});

/** KEY=VALUE lines of a .dev.vars file (dotenv syntax: # comments, optional quotes). */
function readDevVars(path) {
  const vars = {};
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    const value = match[2];
    vars[match[1]] = /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value.replace(/\s+#.*$/, "");
  }
  return vars;
}
