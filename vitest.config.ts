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
    projects: [
      {
        // Unit and integration tests, inside workerd against the real Durable Object SQLite.
        extends: true,
        test: {
          name: "workers",
          globalSetup: ["./test/support/global-setup.ts"],
          include: ["src/**/*.test.ts", "plugins/**/*.test.ts", "test/**/*.test.ts"],
          exclude: ["test/e2e/**"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        // End-to-end tests in Node: the real worker under `wrangler dev`, driven over HTTP and in Chromium.
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
