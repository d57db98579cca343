import type { StarbasePlugin } from "../src/plugin";
import { CronPlugin } from "./cron";
import { DashboardPlugin } from "./dashboard";
import { ReplicationPlugin } from "./replication";

/** The plugins this deployment runs, in order. Each is one folder under `plugins/`; cron comes first, replication needs it. */
export const plugins: readonly StarbasePlugin[] = [new CronPlugin(), new ReplicationPlugin(), new DashboardPlugin()];
