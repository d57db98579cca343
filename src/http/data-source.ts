import type { MiddlewareHandler } from "hono";
import { ValidationError } from "../errors";
import type { AppEnv } from "../plugin";

/**
 * StarbaseDB's `X-Starbase-Source` header (or `?source=`): `internal` or absent is
 * the Durable Object; `external` and `hyperdrive` name sources this deployment
 * does not have, and are refused rather than answered from SQLite.
 */
export function dataSourceSelector(): MiddlewareHandler<AppEnv> {
  return async function dataSourceSelector(c, next) {
    const source = (c.req.header("X-Starbase-Source") ?? c.req.query("source") ?? "").trim().toLowerCase();
    if (source === "external" || source === "hyperdrive") {
      throw new ValidationError("No external data sources available.");
    }
    await next();
  };
}
