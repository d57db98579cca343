import type { StarbasePlugin } from "../src/plugin";

/** The plugins this deployment runs, in order. Each is one folder under `plugins/`. */
export const plugins: readonly StarbasePlugin[] = [];
