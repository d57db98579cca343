import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../plugin";

/** The headers a browser client (Outerbase Studio, a web app) sends, as StarbaseDB allows them. */
const ALLOWED_HEADERS = ["Authorization", "Content-Type", "X-Starbase-Source", "X-Data-Source"];
const ALLOWED_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"];

/**
 * CORS for browser clients. A preflight (`OPTIONS`) answers 204 before
 * authentication; every other answer, errors included, carries the origin header.
 * Origins: `*` unless `CORS_ALLOWED_ORIGINS` lists some (comma-separated).
 */
export function corsHeaders(): MiddlewareHandler<AppEnv> {
  return cors({
    origin: (origin, c) => allowedOrigin(origin, c.env.CORS_ALLOWED_ORIGINS),
    allowMethods: ALLOWED_METHODS,
    allowHeaders: ALLOWED_HEADERS,
    maxAge: 86_400,
  });
}

/** The value of Access-Control-Allow-Origin for a request from `origin`, or null to send none. */
export function allowedOrigin(origin: string, configured: string | undefined): string | null {
  const list = (configured ?? "*")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  if (list.length === 0 || list.includes("*")) return "*";
  return list.includes(origin) ? origin : null;
}
