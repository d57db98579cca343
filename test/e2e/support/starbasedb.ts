// A fresh StarbaseDB checkout with the replication plugin installed the way a user would:
// the snapshot in ../shared/starbasedb copied, a stand-in for @outerbase/sdk (not in the
// registry), scripts/install-into-starbasedb.mjs, then `npm install`.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ROOT } from "./worker";

/** StarbaseDB's source, kept beside this repository for compatibility tests (see its SNAPSHOT.md). */
export const STARBASEDB_SNAPSHOT = resolve(ROOT, "../shared/starbasedb");

export interface StarbaseCheckout {
  dir: string;
  /** What the installer printed. */
  installerOutput: string;
  remove(): void;
}

export function prepareStarbaseDB(): StarbaseCheckout {
  const dir = mkdtempSync(join(tmpdir(), "starbasedb-"));
  cpSync(STARBASEDB_SNAPSHOT, dir, { recursive: true });
  const standIn = join(dir, "outerbase-sdk-stand-in");
  cpSync(join(ROOT, "test/e2e/support/outerbase-sdk"), standIn, { recursive: true });
  const pkgFile = join(dir, "package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as {
    dependencies: Record<string, string>;
    scripts: Record<string, string>;
  };
  pkg.dependencies["@outerbase/sdk"] = "file:./outerbase-sdk-stand-in";
  delete pkg.scripts.prepare; // husky, which needs the .git the snapshot does not have
  writeFileSync(pkgFile, JSON.stringify(pkg, null, 4));

  const installerOutput = execFileSync(process.execPath, [join(ROOT, "scripts/install-into-starbasedb.mjs"), dir], {
    encoding: "utf8",
  });
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: dir,
    stdio: ["ignore", "ignore", "pipe"],
    timeout: 240_000,
  });
  if (!existsSync(join(dir, "node_modules/wrangler/bin/wrangler.js"))) throw new Error("npm install left no wrangler");
  return { dir, installerOutput, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
