// `npm start`: serve the worker locally with wrangler dev.
// Creates .dev.vars from .dev.vars.example on first run so the README's tokens work.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("created .dev.vars from .dev.vars.example (dev tokens)");
}

const port = process.env.PORT ?? "8787";
// No network here or in CI: do not ask Cloudflare for a Request.cf object.
const envVars = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };
const wrangler = spawn("npx", ["wrangler", "dev", "--port", port, "--ip", "127.0.0.1"], {
  stdio: "inherit",
  env: envVars,
});
const stop = () => wrangler.kill("SIGINT");
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
wrangler.on("exit", (code) => process.exit(code ?? 0));
