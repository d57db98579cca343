import { StarbasePlugin, type DurableHost, type StarbaseApp } from "../../src/plugin";
import { registerReplicationRoutes } from "./routes";
import { ReplicationService } from "./service";

export type { JobView } from "./view";
export type { RunSummary, RunRecord } from "./model";
export { ReplicationService, TASK_PREFIX } from "./service";

/**
 * Keeps copies of external PostgreSQL/MySQL tables in the Durable Object's SQLite.
 * Each job is a cron task; runs happen inside the object. Needs the cron plugin.
 */
export class ReplicationPlugin extends StarbasePlugin {
  constructor() {
    super("replication", { requiresAuth: true }, "/replication");
  }

  override async register(app: StarbaseApp): Promise<void> {
    registerReplicationRoutes(app);
  }

  override createDurablePart(host: DurableHost): ReplicationService {
    return new ReplicationService(host);
  }
}
