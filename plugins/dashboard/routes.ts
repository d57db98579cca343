import type { Context } from "hono";
import type { AppEnv, StarbaseApp } from "../../src/plugin";
import { DASHBOARD_CSS, DASHBOARD_JS } from "./assets.generated";
import { DASHBOARD_HTML } from "./page";

/**
 * The page may run only its own script and style and talk only to this origin; the
 * token never leaves the tab except in the Authorization header of API calls.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function serve(c: Context<AppEnv>, body: string, contentType: string): Response {
  return c.body(body, 200, {
    "Content-Type": contentType,
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
  });
}

/** The page and its two assets; none holds data, so they are served without a token. */
export function registerDashboardRoutes(app: StarbaseApp): void {
  app.get("/dashboard", (c) => serve(c, DASHBOARD_HTML, "text/html; charset=utf-8"));
  app.get("/dashboard/", (c) => c.redirect("/dashboard", 301));
  app.get("/dashboard/app.js", (c) => serve(c, DASHBOARD_JS, "text/javascript; charset=utf-8"));
  app.get("/dashboard/app.css", (c) => serve(c, DASHBOARD_CSS, "text/css; charset=utf-8"));
}
