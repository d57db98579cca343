import type { StarbasePlugin } from "../src/plugin";
import { CronPlugin } from "./cron";

/** The plugins this deployment runs, in order. Each is one folder under `plugins/`. */
export const plugins: readonly StarbasePlugin[] = [new CronPlugin()];
