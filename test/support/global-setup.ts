import type { TestProject } from "vitest/node";
import { startFaultProxies } from "./fault-proxy";
import { tlsMaterialIn } from "./tls-material";
import { startTlsServers } from "./tls-servers";

declare module "vitest" {
  export interface ProvidedContext {
    faultProxy: { pg: number; mysql: number; control: number };
    /** Control port of the TLS servers (test/support/tls-servers.ts). */
    tlsControl: number;
  }
}

/**
 * Runs in Node before the workerd test pool: starts the fault proxies in front of the real
 * servers, and the control of the TLS servers over the certificates vitest.config.ts made.
 */
export default async function setup(project: TestProject) {
  const proxies = await startFaultProxies({ pg: 5432, mysql: 3306 });
  project.provide("faultProxy", { pg: proxies.ports.pg!, mysql: proxies.ports.mysql!, control: proxies.controlPort });
  const dir = process.env.STARBASE_TEST_TLS_DIR;
  if (!dir) throw new Error("STARBASE_TEST_TLS_DIR is unset: vitest.config.ts makes the TLS certificates");
  const tls = await startTlsServers(tlsMaterialIn(dir));
  project.provide("tlsControl", tls.controlPort);
  return async () => {
    await Promise.allSettled([proxies.close(), tls.close()]);
  };
}
