// `node scripts/install-into-starbasedb.mjs <path-to-starbasedb-checkout>`
//
// Installs the replication plugin into a StarbaseDB checkout (github.com/outerbase/starbasedb),
// making the three edits README "Use it in StarbaseDB" describes:
//   1. package.json: this project as a dependency (a `file:` link to this checkout);
//   2. src/index.ts: the Durable Object class line, StarbaseDB's class wrapped by withReplication;
//   3. src/index.ts: the plugin registered after StarbaseDB's CronPlugin, which schedules its jobs.
// Each edit is made only if it is not there yet, so running it twice changes nothing. It prints
// what it changed; then `npm install` and `npx wrangler dev` in the checkout.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE = "starbase-edge-replica";
const ENTRY = `${PACKAGE}/starbasedb`;
const here = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function fail(message) {
  console.error(`install-into-starbasedb: ${message}`);
  process.exit(1);
}

const target = process.argv[2];
if (!target) fail("usage: node scripts/install-into-starbasedb.mjs <path-to-starbasedb-checkout>");
const checkout = resolve(target);
const files = { pkg: join(checkout, "package.json"), index: join(checkout, "src/index.ts") };
for (const file of Object.values(files))
  if (!existsSync(file)) fail(`${file} not found: is ${checkout} a StarbaseDB checkout?`);

const changes = [];

// 1. The dependency.
const pkg = JSON.parse(readFileSync(files.pkg, "utf8"));
const link = `file:${relative(checkout, here) || "."}`;
pkg.dependencies ??= {};
if (pkg.dependencies[PACKAGE] !== link) {
  pkg.dependencies[PACKAGE] = link;
  writeFileSync(files.pkg, `${JSON.stringify(pkg, null, 4)}\n`);
  changes.push(`package.json: dependency "${PACKAGE}": "${link}"`);
}

// 2 and 3. src/index.ts.
let index = readFileSync(files.index, "utf8");
const original = index;

const CLASS_LINE = /^export \{ StarbaseDBDurableObject \} from '\.\/do'\s*$/m;
if (!index.includes("withReplication(")) {
  if (!CLASS_LINE.test(index)) fail("src/index.ts: cannot find `export { StarbaseDBDurableObject } from './do'`");
  index = index.replace(
    CLASS_LINE,
    [
      "import { StarbaseDBDurableObject as StarbaseDBDurableObjectBase } from './do'",
      `import { ReplicationPlugin, withReplication } from '${ENTRY}'`,
      "",
      "// Replication: the Durable Object runs the jobs (same class name, so wrangler.toml is unchanged).",
      "export const StarbaseDBDurableObject = withReplication(StarbaseDBDurableObjectBase)\n",
    ].join("\n"),
  );
  changes.push("src/index.ts: StarbaseDBDurableObject = withReplication(StarbaseDBDurableObjectBase)");
}

if (!index.includes("new ReplicationPlugin(")) {
  const cronInList = /^(\s*)cronPlugin,\s*$/m;
  if (!cronInList.test(index)) fail("src/index.ts: cannot find `cronPlugin,` in the plugin list");
  index = index.replace(
    cronInList,
    (line, indent) => `${line}\n${indent}new ReplicationPlugin({ cron: cronPlugin, dataSource, ctx }),`,
  );
  changes.push(
    "src/index.ts: new ReplicationPlugin({ cron: cronPlugin, dataSource, ctx }) registered after cronPlugin",
  );
}

if (index !== original) writeFileSync(files.index, index);

if (changes.length === 0) {
  console.log(`${checkout} already has the replication plugin: nothing changed.`);
} else {
  console.log(`Installed the replication plugin into ${checkout}:`);
  for (const change of changes) console.log(`  - ${change}`);
}
console.log(`
Next, in ${checkout}:
  npm install
  npx wrangler dev            # or deploy with: npx wrangler deploy
Set REPLICATION_ENCRYPTION_KEY (32+ random characters) before creating jobs with passwords:
  in .dev.vars for wrangler dev, or: npx wrangler secret put REPLICATION_ENCRYPTION_KEY
StarbaseDB's cron calls back with the CLIENT_AUTHORIZATION_TOKEN: it must be set.
Then create jobs with POST /replication/jobs (admin token), as in this project's README.`);
