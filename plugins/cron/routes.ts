import { requireAdmin } from "../../src/http/auth";
import type { StarbaseApp } from "../../src/plugin";
import type { CronTask } from "./types";

/** `GET /cron/tasks`: every task with its schedule and last outcome. Admin only. */
export function registerCronRoutes(app: StarbaseApp): void {
  app.get("/cron/tasks", requireAdmin(), async function listCronTasks(c) {
    const tasks = await c.get("database").callPlugin<CronTask[]>("cron", "listTasks", null);
    return c.json({ result: tasks });
  });
}
