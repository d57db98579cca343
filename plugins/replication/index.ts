import { requireAdmin } from "../../src/http/auth";
import { StarbasePlugin, type DurableHost, type StarbaseApp } from "../../src/plugin";
import type { RouteDoc } from "../../src/http/route-docs";
import { REPLICATION_ROUTE_DOCS } from "./api/route-docs";
import { registerReplicationRoutes } from "./api/routes";
import { EdgeReplicationPart } from "./hosts/edge";

export type { JobView } from "./api/view";
export type { RunSummary, RunRecord } from "./engine/model";
export type { RunTuning } from "./engine/runs";
export { TASK_PREFIX } from "./engine/host";
export { EdgeReplicationPart } from "./hosts/edge";

/**
 * Keeps copies of external PostgreSQL/MySQL tables in the Durable Object's SQLite.
 * Each job is a cron task; runs happen inside the object. Needs the cron plugin.
 * For StarbaseDB, see ./starbasedb.ts.
 */
export class ReplicationPlugin extends StarbasePlugin {
  constructor() {
    super("replication", { requiresAuth: true }, "/replication");
  }

  override async register(app: StarbaseApp): Promise<void> {
    registerReplicationRoutes(app, {
      requireAdmin: requireAdmin(),
      call: (c, method, input) => c.get("database").callPlugin("replication", method, input),
    });
  }

  override routeDocs(): readonly RouteDoc[] {
    return REPLICATION_ROUTE_DOCS;
  }

  override createDurablePart(host: DurableHost): EdgeReplicationPart {
    return new EdgeReplicationPart(host);
  }
}
