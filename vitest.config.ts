import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig, type ViteUserConfig } from "vitest/config";
import { makeTlsMaterial, removeTlsMaterial, type TlsMaterial, tlsMaterialIn } from "./test/support/tls-material.js";

/**
 * The TLS tests' certificates (test/support/tls-material.ts), made once per process: vitest
 * may evaluate this config more than once (one per project), and workerd trusts the CA of
 * the first evaluation. Miniflare reads NODE_EXTRA_CA_CERTS once, when it is first imported,
 * to choose the CAs workerd trusts: so the "public" CA is added before the plugin is imported.
 */
function tlsMaterialOnce(): TlsMaterial {
  const made = process.env.STARBASE_TEST_TLS_DIR;
  if (made && existsSync(made)) return tlsMaterialIn(made);
  const tls = makeTlsMaterial();
  process.once("exit", () => removeTlsMaterial(tls));
  process.env.STARBASE_TEST_TLS_DIR = tls.dir;
  const trusted = join(tls.dir, "trusted.pem");
  const earlier = process.env.NODE_EXTRA_CA_CERTS;
  const kept = earlier && existsSync(earlier) ? readFileSync(earlier, "utf8") + "\n" : "";
  writeFileSync(trusted, kept + readFileSync(tls.ca.public, "utf8"));
  process.env.NODE_EXTRA_CA_CERTS = trusted;
  return tls;
}

export default defineConfig(async (): Promise<ViteUserConfig> => {
  const tls = tlsMaterialOnce();
  const { cloudflareTest } = await import("@cloudflare/vitest-plugin");

  return {
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
          // Local Hyperdrive, as `wrangler dev` runs it: a plain one, and one whose origin has a
          // certificate from the private CA, which only Hyperdrive (not workerd) is told to trust.
          hyperdrives: {
            REPLICATION_TEST_HYPERDRIVE: "postgresql://postgres:Hd-pw-31@127.0.0.1:5432/test",
            REPLICATION_TEST_HYPERDRIVE_PRIVATE_CA: `postgresql://postgres:Hd-pw-47@localhost:5432/test?sslmode=verify-full&sslrootcert=${tls.ca.private}`,
          },
        },
      }),
    ],
    test: {
      // workerd's node:tls closes a socket whose handshake failed twice, and the second close()
      // rejects with the handshake error, unobserved (TLSSocket._destroySSL). The connect itself
      // fails properly (test/tls-mysql.test.ts checks the answers); only this stray copy of the
      // runtime's opaque error is ignored. Vitest reads this option from the root config only.
      onUnhandledError: (error) => !/^internal error; reference = \w+$/.test(error.message),
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
  };
});
