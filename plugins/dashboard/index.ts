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
}
