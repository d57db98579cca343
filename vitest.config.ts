import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ADMIN_AUTHORIZATION_TOKEN: "test-admin-token",
          CLIENT_AUTHORIZATION_TOKEN: "test-client-token",
          REPLICATION_TEST_PG_URL: "postgresql://postgres:Pg-binding-pw-77@127.0.0.1:5432/test",
          REPLICATION_ENCRYPTION_KEY: "test-encryption-key-not-for-production-0001",
        },
      },
    }),
  ],
  test: {
    globalSetup: ["./test/support/global-setup.ts"],
    include: ["src/**/*.test.ts", "plugins/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
