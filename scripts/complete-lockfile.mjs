// The registry this project is developed against serves only the Linux builds of
// workerd, so `npm install` leaves the macOS/Windows builds out of package-lock.json,
// and `npm ci` then refuses the lock as out of sync. This adds the missing optional
// entries back (skipped on Linux, never fetched there). Run after changing dependencies:
//   npm install && node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from "node:fs";

const PLATFORMS = [
  ["darwin-64", "darwin", "x64"],
  ["darwin-arm64", "darwin", "arm64"],
  ["windows-64", "win32", "x64"],
];

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const packages = lock.packages;
const workerd = packages["node_modules/workerd"];
if (!workerd) throw new Error("package-lock.json has no node_modules/workerd entry");
let added = 0;
for (const [suffix, os, cpu] of PLATFORMS) {
  const name = `@cloudflare/workerd-${suffix}`;
  const key = `node_modules/${name}`;
  const version = workerd.optionalDependencies?.[name];
  if (!version || packages[key]) continue;
  packages[key] = {
    version,
    cpu: [cpu],
    dev: true,
    license: "Apache-2.0",
    optional: true,
    os: [os],
    engines: { node: ">=16" },
  };
  added++;
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
lock.packages = sorted;
writeFileSync("package-lock.json", `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} optional workerd platform entr${added === 1 ? "y" : "ies"}`);
