// The worker serves plugins/dashboard/assets.generated.ts, which is committed; it must be
// the build of the sources in plugins/dashboard/client. Runs in Node (esbuild).
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { GENERATED, renderAssetsModule } from "../../plugins/dashboard/build";

it("the committed dashboard bundle is the build of client/ (else run `npm run build:dashboard`)", async () => {
  const committed = readFileSync(GENERATED, "utf8");
  expect(
    committed === (await renderAssetsModule()),
    "assets.generated.ts is stale: run `npm run build:dashboard`",
  ).toBe(true);
});
