import type { RouteDoc } from "../../src/http/route-docs";
import { StarbasePlugin, type StarbaseApp } from "../../src/plugin";
import { registerDashboardRoutes } from "./routes";

/**
 * `GET /dashboard`: a page for operators to watch and manage replication jobs. The page
 * holds no data and is served without a token; it calls the admin API with the token
 * the user enters. Its browser code lives in client/ (see build.ts).
 */
export class DashboardPlugin extends StarbasePlugin {
  constructor() {
    super("dashboard", { requiresAuth: false }, "/dashboard");
  }

  override async register(app: StarbaseApp): Promise<void> {
    registerDashboardRoutes(app);
  }

  override routeDocs(): readonly RouteDoc[] {
    return [
      {
        method: "get",
        path: "/dashboard",
        summary: "The replication dashboard (asks for the admin token)",
        access: "public",
        content: "text/html",
      },
      { method: "get", path: "/dashboard/", summary: "Redirects to /dashboard", access: "public", status: 301 },
      {
        method: "get",
        path: "/dashboard/app.js",
        summary: "The dashboard's script",
        access: "public",
        content: "text/javascript",
      },
      {
        method: "get",
        path: "/dashboard/app.css",
        summary: "The dashboard's style",
        access: "public",
        content: "text/css",
      },
    ];
  }
}
