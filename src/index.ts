import { plugins } from "../plugins";
import { StarbaseDurableObject } from "./durable-object";
import type { Env } from "./env";
import { createApp } from "./http/app";
import type { StarbaseApp } from "./plugin";

/** The database's Durable Object class, with this deployment's plugins. */
export class StarbaseDBDurableObject extends StarbaseDurableObject {
  protected plugins() {
    return plugins;
  }
}

// Built on the first request and reused for the isolate's lifetime.
let app: Promise<StarbaseApp> | undefined;

export default {
  async fetch(request, env, ctx) {
    app ??= createApp(plugins);
    return (await app).fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
