import type { TestProject } from "vitest/node";
import { startFaultProxies } from "./fault-proxy";

declare module "vitest" {
  export interface ProvidedContext {
    faultProxy: { pg: number; mysql: number; control: number };
  }
}

/** Runs in Node before the workerd test pool: starts the fault proxies in front of the real servers. */
export default async function setup(project: TestProject) {
  const proxies = await startFaultProxies({ pg: 5432, mysql: 3306 });
  project.provide("faultProxy", { pg: proxies.ports.pg!, mysql: proxies.ports.mysql!, control: proxies.controlPort });
  return () => proxies.close();
}
