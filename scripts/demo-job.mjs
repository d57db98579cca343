// The replication job of the `npm start` demo, made through the worker's admin API.
import { DEMO_TABLE } from "./demo-source.mjs";

/**
 * Talks to the worker at `base` (e.g. http://127.0.0.1:8787) with the admin token.
 * `cancelled()` tells the readiness wait to give up (npm start is shutting down).
 */
export function demoJobClient({ base, token, cancelled = () => false }) {
  async function api(method, path, body) {
    const response = await fetch(base + path, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    return { ok: response.ok, status: response.status, text: await response.text() };
  }
  const fail = (what, answer) => new Error(`${what} answered ${answer.status} ${answer.text}`);

  /** Polls GET /status until the worker answers 200; false if cancelled or 2 minutes pass. */
  async function workerReady() {
    if (!token) throw new Error("ADMIN_AUTHORIZATION_TOKEN is not set in .dev.vars");
    const deadline = Date.now() + 120_000;
    while (!cancelled() && Date.now() < deadline) {
      try {
        const status = await api("GET", "/status");
        if (status.ok) return true;
        if (status.status === 401 || status.status === 403) throw fail("GET /status (check .dev.vars)", status);
      } catch (error) {
        // fetch failed (not listening yet) or timed out (still starting): try again.
        if (!(error instanceof TypeError) && error?.name !== "TimeoutError") throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (!cancelled()) throw new Error("the worker did not answer GET /status within 2 minutes");
    return false;
  }

  /**
   * Creates the job demo_orders against the demo source at host:port. The demo database
   * starts afresh on every run, so a job left by an earlier run is deleted, with its
   * replica table, and created again. Resolves to false if cancelled first.
   */
  async function create({ host, port }) {
    if (!(await workerReady())) return false;
    const job = {
      name: DEMO_TABLE,
      source: { dialect: "postgresql", host, port, user: "postgres", password: "", database: "postgres" },
      table_name: DEMO_TABLE,
      tracking_col: "updated_at",
      tracking_type: "timestamp",
      cron_tab: "*/2 * * * * *",
      lookback_seconds: 5,
    };
    let created = await api("POST", "/replication/jobs", job);
    if (created.status === 409) {
      const deleted = await api("DELETE", `/replication/jobs/${DEMO_TABLE}?drop_table=true`);
      if (!deleted.ok) throw fail(`DELETE /replication/jobs/${DEMO_TABLE}`, deleted);
      created = await api("POST", "/replication/jobs", job);
    }
    if (created.status !== 201) throw fail("POST /replication/jobs", created);
    return true;
  }

  /**
   * Without the demo source, a demo job left by an earlier run would fail on every tick:
   * pauses it if its source is 127.0.0.1:port. Resolves to true if it paused one.
   */
  async function pauseLeftover({ port }) {
    if (!(await workerReady())) return false;
    const found = await api("GET", `/replication/jobs/${DEMO_TABLE}`);
    if (!found.ok) return false;
    const { source, active } = JSON.parse(found.text).result;
    if (!active || source?.host !== "127.0.0.1" || source?.port !== port) return false;
    const paused = await api("POST", `/replication/jobs/${DEMO_TABLE}/pause`);
    if (!paused.ok) throw fail(`POST /replication/jobs/${DEMO_TABLE}/pause`, paused);
    return true;
  }

  return { create, pauseLeftover };
}

/** What `npm start` prints once the demo job exists. */
export function demoBanner({ base, token, host, port }) {
  const query = JSON.stringify({ sql: `SELECT count(*) AS n, max(updated_at) AS latest FROM ${DEMO_TABLE}` });
  return [
    "",
    `Demo: job ${DEMO_TABLE} copies ${DEMO_TABLE} from the demo PostgreSQL on ${host}:${port} every 2 s.`,
    "Watch the replica grow (run it twice, a few seconds apart):",
    `  curl -s ${base}/query -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" -d '${query}'`,
    "The job's state and progress:",
    `  curl -s ${base}/replication/jobs/${DEMO_TABLE} -H "Authorization: Bearer ${token}"`,
    "Start without the demo: DEMO=off npm start",
    "",
  ].join("\n");
}
