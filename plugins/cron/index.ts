import type { RouteDoc } from "../../src/http/route-docs";
import { type DurableHost, StarbasePlugin, type StarbaseApp } from "../../src/plugin";
import { registerCronRoutes } from "./routes";
import { CronScheduler } from "./scheduler";

export type { CronApi, CronEvent, CronHandler, CronTask } from "./types";
export { nextRun, validateCronExpression } from "./expression";
export { dueTasks, planNextAlarm } from "./plan";

/**
 * Many scheduled tasks on the Durable Object's single alarm. Other plugins schedule
 * work through `host.part<CronApi>("cron")` and never set the alarm themselves.
 */
export class CronPlugin extends StarbasePlugin {
  constructor() {
    super("cron", { requiresAuth: true }, "/cron");
  }

  override async register(app: StarbaseApp): Promise<void> {
    registerCronRoutes(app);
  }

  override routeDocs(): readonly RouteDoc[] {
    return [
      {
        method: "get",
        path: "/cron/tasks",
        summary: "Every cron task: schedule, last run, last error",
        access: "admin",
      },
    ];
  }

  override createDurablePart(host: DurableHost): CronScheduler {
    return new CronScheduler(host);
  }
}
