// The replication dashboard in Debian's Chromium, against the real worker (wrangler dev)
// and the real PostgreSQL. One worker and one browser serve the whole file.
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgExec } from "../support/sources";
import { type Api, apiClient, waitFor } from "./support/api";
import { consoleErrors, launchChromium, screenshot } from "./support/browser";
import { E2E_TOKENS, type RunningWorker, startWorker } from "./support/worker";

interface Job {
  name: string;
  mode: string;
  active: boolean;
  batch_size: number;
  cron_tab: string;
  status: { state: string; rows_synced: number; last_error: string | null };
}
interface Run {
  id: number;
  trigger: string;
  ended_at: string | null;
  rows: number;
  error: string | null;
}

const prefix = `e2e_dash_${Date.now().toString(36)}`;
const ORDERS = `${prefix}_orders`;
const GONE = `${prefix}_gone`;
const FORMED = `${prefix}_formed`;
/** A change capture job the form creates (over FORMED's source table); its slot is dropped with it. */
const CAPTURED = `${prefix}_cdc`;
const SOURCE = {
  dialect: "postgresql",
  host: "127.0.0.1",
  port: 5432,
  user: "postgres",
  password: "",
  database: "test",
};
/** Once a year: the jobs run when created and when a test presses Run, not on their own meanwhile. */
const RARELY = "0 0 1 1 *";

let worker: RunningWorker;
let browser: Browser;
let api: Api;

async function createSourceTable(table: string, rows: number) {
  await pgExec(`DROP TABLE IF EXISTS ${table}`);
  await pgExec(
    `CREATE TABLE ${table} (id serial PRIMARY KEY, customer text NOT NULL, amount numeric(10,2) NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
  );
  await pgExec(`CREATE INDEX ON ${table} (updated_at, id)`);
  await pgExec(
    `INSERT INTO ${table} (customer, amount) SELECT 'customer ' || g, g * 1.5 FROM generate_series(1, $1) g`,
    [rows],
  );
}

async function createJob(name: string) {
  const answer = await api("POST", "/replication/jobs", {
    name,
    source: SOURCE,
    table_name: name,
    tracking_col: "updated_at",
    tracking_type: "timestamp",
    cron_tab: RARELY,
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
}

const job = async (name: string) => (await api<Job>("GET", `/replication/jobs/${name}`)).body.result;
const runs = async (name: string) => (await api<Run[]>("GET", `/replication/jobs/${name}/runs`)).body.result ?? [];

/** Waits until the job's first run (started on creation) has ended. */
const firstRunEnded = (name: string) =>
  waitFor(`the first run of ${name}`, async () => {
    const list = await runs(name);
    return list.length > 0 && list.every((r) => r.ended_at !== null) ? list : undefined;
  });

async function openDashboard(page: Page, token: string | null = E2E_TOKENS.admin): Promise<void> {
  await page.goto(`${worker.url}/dashboard${token === null ? "" : `#token=${encodeURIComponent(token)}`}`);
}

const card = (page: Page, name: string): Locator => page.locator(`li.job[data-job="${name}"]`);

beforeAll(async () => {
  const started = Promise.all([startWorker(), launchChromium()]);
  await Promise.all([createSourceTable(ORDERS, 30), createSourceTable(GONE, 5), createSourceTable(FORMED, 3)]);
  [worker, browser] = await started;
  api = apiClient(worker.url, E2E_TOKENS.admin);
  await createJob(ORDERS);
  await createJob(GONE);
  await Promise.all([firstRunEnded(ORDERS), firstRunEnded(GONE)]);
  // A failing job: its source table is dropped after creation, then it runs.
  await pgExec(`DROP TABLE ${GONE}`);
  const failed = await api("POST", `/replication/jobs/${GONE}/run`);
  expect(failed.status).toBe(502);
});

afterAll(async () => {
  await browser?.close();
  // Deleting the change capture job drops its slot and publication at the source.
  if (api) await api("DELETE", `/replication/jobs/${CAPTURED}?drop_table=true`);
  await worker?.stop();
  for (const table of [ORDERS, GONE, FORMED]) await pgExec(`DROP TABLE IF EXISTS ${table}`);
});

describe("without a token", () => {
  it("serves the page with no console errors, asks for the token and shows no job", async () => {
    const page = await browser.newPage();
    const errors = consoleErrors(page);
    const requests: string[] = [];
    page.on("request", (request) => requests.push(new URL(request.url()).pathname));
    const response = await page.goto(`${worker.url}/dashboard`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");

    await expect.poll(() => page.getByLabel("Admin token").isVisible()).toBe(true);
    expect(await page.locator("li.job").count()).toBe(0);
    expect(await page.locator("#app").isVisible()).toBe(false);
    expect(requests.filter((path) => path.startsWith("/replication"))).toEqual([]);
    await screenshot(page, "login");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("asks again when the token is refused (401), showing why", async () => {
    const page = await browser.newPage();
    await openDashboard(page, "not-the-token");
    await expect.poll(() => page.locator("#login-error").textContent()).toContain("401");
    expect(page.url()).not.toContain("not-the-token");
    expect(await page.locator("li.job").count()).toBe(0);

    // The client token may read but not manage replication: 403, asked again.
    await page.getByLabel("Admin token").fill(E2E_TOKENS.client);
    await page.getByRole("button", { name: "Open dashboard" }).click();
    await expect.poll(() => page.locator("#login-error").textContent()).toContain("403");
    await page.close();
  });
});

describe("with the admin token", () => {
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = consoleErrors(page);
    await openDashboard(page);
    await card(page, ORDERS).waitFor();
  });
  afterAll(() => page.close());

  it("takes the token from the fragment once and removes it from the address bar", async () => {
    expect(page.url()).toBe(`${worker.url}/dashboard`);
    expect(await page.evaluate("Object.values(sessionStorage)")).toEqual([E2E_TOKENS.admin]);
  });

  it("lists every job with its source, state, rows and run history, without console errors", async () => {
    const orders = card(page, ORDERS);
    await expect.poll(() => orders.locator(".badge.state").textContent()).toBe("idle");
    expect(await orders.locator(".stat", { hasText: "Rows in replica" }).locator("dd").textContent()).toBe("30");
    expect(await orders.locator(".badge.mode").textContent()).toBe("pull");
    // Dialect, host, database, table and replica; no user, no password.
    expect(await orders.locator(".source").textContent()).toBe(
      `postgresql·127.0.0.1:5432·test·public.${ORDERS} → ${ORDERS}`,
    );
    expect(await orders.textContent()).not.toContain("***");
    // The runs load right after the job list.
    await expect.poll(() => orders.locator("svg.chart g.run").count()).toBe(1);
    expect(await orders.locator("svg.chart").getAttribute("aria-label")).toContain("at most 30 rows");
    expect(await page.locator("#summary").textContent()).toBe("2 jobs · 1 failing");
    expect(errors).toEqual([]);
  });

  it("shows a failing job's error in full, and marks the failed run", async () => {
    const gone = card(page, GONE);
    expect(await gone.locator(".badge.state").textContent()).toBe("failing");
    const error = (await job(GONE))!.status.last_error!;
    expect(error).toContain("not found at the source");
    expect(await gone.locator(".error-text").textContent()).toBe(error);
    expect(await gone.locator(".error-text").isVisible()).toBe(true);
    await expect.poll(() => gone.locator("svg.chart g.run-failed").count()).toBe(1);
  });

  it("keeps the page in place across refreshes: same elements, open details and focus stay", async () => {
    const orders = card(page, ORDERS);
    await orders.locator("details.more > summary").click();
    await orders.evaluate((node) => ((node as unknown as { marker: string }).marker = "kept"));
    await orders.getByRole("button", { name: "Verify" }).focus();
    const before = await page.locator("#updated").textContent();
    await expect.poll(() => page.locator("#updated").textContent(), { timeout: 12_000 }).not.toBe(before);
    expect(await orders.evaluate((node) => (node as unknown as { marker?: string }).marker)).toBe("kept");
    expect(await orders.locator("details.more").getAttribute("open")).toBe("");
    expect(await orders.locator("table.runs tbody tr").count()).toBe(1);
    expect(await page.evaluate("document.activeElement.textContent")).toBe("Verify");
  });

  it("Run now starts a run, seen through the API", async () => {
    await pgExec(`INSERT INTO ${ORDERS} (customer, amount) VALUES ('late customer', 9.99)`);
    const orders = card(page, ORDERS);
    await orders.getByRole("button", { name: "Run now" }).click();
    await expect.poll(() => orders.locator(".action-status").textContent()).toContain("Run finished");
    const manual = (await runs(ORDERS)).filter((r) => r.trigger === "manual");
    expect(manual).toHaveLength(1);
    expect(manual[0]!.rows).toBeGreaterThan(0);
    await expect.poll(() => orders.locator("svg.chart g.run").count()).toBe(2);
  });

  it("Pause and Resume change the job's state", async () => {
    const orders = card(page, ORDERS);
    await orders.getByRole("button", { name: "Pause" }).click();
    await expect.poll(() => orders.locator(".badge.state").textContent()).toBe("paused");
    expect((await job(ORDERS))!.active).toBe(false);

    await orders.getByRole("button", { name: "Resume" }).click();
    await expect.poll(() => orders.locator(".badge.state").textContent()).toBe("idle");
    expect((await job(ORDERS))!.active).toBe(true);
    expect(await orders.getByRole("button", { name: "Pause" }).isVisible()).toBe(true);
  });

  it("Verify shows what differs from the source, and Repair mends it", async () => {
    const orders = card(page, ORDERS);
    // Two rows gone from the replica, and a change at the source that moved no tracking value (no run sees it).
    expect((await api("POST", "/query", { sql: `DELETE FROM ${ORDERS} WHERE id IN (1, 2)` })).status).toBe(200);
    await pgExec(`UPDATE ${ORDERS} SET customer = 'renamed at the source' WHERE id = 3`);
    const repair = orders.getByRole("button", { name: "Repair" });
    const verified = orders.locator(".extra.verify");
    const figure = (name: string) => verified.locator(".figures div", { hasText: name }).locator("dd").textContent();
    await orders.getByRole("button", { name: "Verify" }).click();
    await expect.poll(() => verified.locator(".badge").textContent(), { timeout: 10_000 }).toBe("differences");
    expect([await figure("missing"), await figure("differing")]).toEqual(["2", "1"]);
    expect(await repair.isVisible()).toBe(true);

    await repair.click();
    await expect.poll(() => orders.locator(".action-status").textContent(), { timeout: 10_000 }).toContain("repaired.");
    await expect.poll(() => repair.isVisible(), { timeout: 10_000 }).toBe(false);
    await orders.getByRole("button", { name: "Verify" }).click();
    await expect.poll(() => verified.locator(".badge").textContent(), { timeout: 10_000 }).toBe("matches");
    const rows = await api<Array<{ n: number; renamed: number }>>("POST", "/query", {
      sql: `SELECT count(*) AS n, sum(customer = 'renamed at the source') AS renamed FROM ${ORDERS}`,
    });
    expect(rows.body.result).toEqual([{ n: 31, renamed: 1 }]);
  });

  it("a card's settings form changes what was filled in, and shows the server's errors beside the fields", async () => {
    const orders = card(page, ORDERS);
    const details = orders.locator("details.more");
    if ((await details.getAttribute("open")) === null) await details.locator("> summary").click();
    const form = orders.locator("form.settings-form");
    const batch = form.getByLabel("Batch size", { exact: true });
    const schedule = form.getByLabel("Cron schedule (UTC)", { exact: true });
    expect(await batch.getAttribute("placeholder")).toBe("1000");
    expect(await schedule.getAttribute("placeholder")).toBe(RARELY);

    await batch.fill("0");
    await form.getByRole("button", { name: "Save settings" }).click();
    const batchError = form.locator(".field-error").filter({ hasText: "batch_size" });
    await expect.poll(() => batchError.textContent(), { timeout: 10_000 }).toContain("batch_size must be at least 1");
    expect(await batch.getAttribute("aria-invalid")).toBe("true");
    expect((await job(ORDERS))!.batch_size).toBe(1000);

    await batch.fill("250");
    await form.getByLabel("Reconcile schedule (UTC)", { exact: true }).fill("0 4 * * *");
    await form.getByLabel("A column dropped at the source", { exact: true }).selectOption("drop");
    await form.getByRole("button", { name: "Save settings" }).click();
    await expect
      .poll(() => form.locator(".settings-status").textContent(), { timeout: 10_000 })
      .toBe("Saved: batch_size, reconcile_cron, on_column_drop.");
    const saved = (await job(ORDERS)) as Job & { reconcile_cron: string | null; on_column_drop: string };
    expect([saved.batch_size, saved.reconcile_cron, saved.on_column_drop, saved.cron_tab]).toEqual([
      250,
      "0 4 * * *",
      "drop",
      RARELY,
    ]);
    expect(await batch.inputValue()).toBe("");
    await expect.poll(() => batch.getAttribute("placeholder"), { timeout: 10_000 }).toBe("250");
    expect(await batchError.isVisible()).toBe(false);

    // "none" removes the reconciliation again.
    await form.getByLabel("Reconcile schedule (UTC)", { exact: true }).fill("none");
    await form.getByRole("button", { name: "Save settings" }).click();
    await expect
      .poll(async () => ((await job(ORDERS)) as { reconcile_cron?: string | null }).reconcile_cron, {
        timeout: 10_000,
      })
      .toBe(null);
  });

  it("the form shows the server's validation errors beside the fields, then creates the job", async () => {
    const form = page.locator("#create-form");
    if ((await page.locator("details#create").getAttribute("open")) === null) {
      await page.locator("details#create > summary").click();
    }
    await form.getByLabel("Name", { exact: true }).fill(FORMED);
    await form.getByLabel("Host", { exact: true }).fill("127.0.0.1");
    await form.getByLabel("Port", { exact: true }).fill("5432");
    await form.getByLabel("User", { exact: true }).fill("postgres");
    await form.getByLabel("Database", { exact: true }).fill("test");
    await form.getByLabel("Source table", { exact: true }).fill(FORMED);
    await form.getByLabel("Tracking column", { exact: true }).fill("no_such_column");
    await form.getByLabel("Cron schedule (UTC)", { exact: true }).fill(RARELY);
    await form.getByLabel("Batch size", { exact: true }).fill("0");
    await form.getByRole("button", { name: "Create job" }).click();

    // The body's shape is checked first: batch_size.
    const batchError = form.locator('[data-error-for="batch_size"]');
    await expect.poll(() => batchError.textContent()).toContain("batch_size must be at least 1");
    expect(await form.getByLabel("Batch size", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    await screenshot(page, "form-error");

    // Then the source: the tracking column must exist.
    await form.getByLabel("Batch size", { exact: true }).fill("");
    await form.getByRole("button", { name: "Create job" }).click();
    const trackingError = form.locator('[data-error-for="tracking_col"]');
    await expect.poll(() => trackingError.textContent()).toContain('"no_such_column" is not a column');
    expect(await batchError.isVisible()).toBe(false);
    expect(await job(FORMED)).toBeUndefined();

    await form.getByLabel("Tracking column", { exact: true }).fill("updated_at");
    await form.getByRole("button", { name: "Create job" }).click();
    await expect.poll(() => page.locator("#create-status").textContent()).toContain(`Created job ${FORMED}`);
    expect(await trackingError.isVisible()).toBe(false);
    await card(page, FORMED).waitFor();
    expect((await job(FORMED))!.name).toBe(FORMED);
    await expect
      .poll(() => card(page, FORMED).locator(".stat", { hasText: "Rows in replica" }).locator("dd").textContent(), {
        timeout: 15_000,
      })
      .toBe("3");
  });

  it("the form creates a change capture job: the pull's tracking fields give way to a publication", async () => {
    const form = page.locator("#create-form");
    if ((await page.locator("details#create").getAttribute("open")) === null) {
      await page.locator("details#create > summary").click();
    }
    const tracking = form.getByLabel("Tracking column", { exact: true });
    const publication = form.getByLabel("Publication", { exact: true });
    expect(await tracking.isVisible()).toBe(true);
    expect(await publication.isVisible()).toBe(false);
    await form.getByLabel("Replication mode", { exact: true }).selectOption("cdc");
    expect(await tracking.isVisible()).toBe(false);
    expect(await form.getByLabel("Tracking type", { exact: true }).isVisible()).toBe(false);
    expect(await form.getByLabel("Lookback (s)", { exact: true }).isVisible()).toBe(false);
    expect(await publication.isVisible()).toBe(true);

    await form.getByLabel("Name", { exact: true }).fill(CAPTURED);
    await form.getByLabel("Host", { exact: true }).fill("127.0.0.1");
    await form.getByLabel("User", { exact: true }).fill("postgres");
    await form.getByLabel("Database", { exact: true }).fill("test");
    await form.getByLabel("Source table", { exact: true }).fill(FORMED);
    await form.getByLabel("Replica table", { exact: true }).fill(CAPTURED);
    await form.getByLabel("Cron schedule (UTC)", { exact: true }).fill(RARELY);
    await form.getByRole("button", { name: "Create job" }).click();
    await expect
      .poll(() => page.locator("#create-status").textContent(), { timeout: 10_000 })
      .toContain(`Created job ${CAPTURED}`);
    expect((await job(CAPTURED))!.mode).toBe("cdc");
    const captured = card(page, CAPTURED);
    expect(await captured.locator(".badge.mode").textContent()).toBe("cdc");
    await expect
      .poll(() => captured.locator(".stat", { hasText: "Rows in replica" }).locator("dd").textContent(), {
        timeout: 15_000,
      })
      .toBe("3");
    // The form starts over in pull mode.
    expect(await tracking.isVisible()).toBe(true);
    expect(await publication.isVisible()).toBe(false);
  });

  it("Delete asks first, and can drop the replica table", async () => {
    const formed = card(page, FORMED);
    const dialog = page.getByRole("dialog");
    // Escape cancels, and focus starts on Cancel: a stray Enter deletes nothing.
    await formed.getByRole("button", { name: "Delete…" }).click();
    expect(await page.evaluate("document.activeElement.id")).toBe("confirm-cancel");
    await page.keyboard.press("Escape");
    expect(await dialog.isVisible()).toBe(false);
    expect((await job(FORMED))?.name).toBe(FORMED);

    await formed.getByRole("button", { name: "Delete…" }).click();
    await dialog.getByLabel(`Also drop the replica table ${FORMED}`).check();
    await dialog.getByRole("button", { name: "Delete job" }).click();
    await expect.poll(() => page.locator("#notice").textContent()).toBe(`Deleted job ${FORMED} and dropped its table.`);
    await expect.poll(() => formed.count()).toBe(0);
    expect(await job(FORMED)).toBeUndefined();
    const tables = await api<Array<{ n: number }>>("POST", "/query", {
      sql: "SELECT count(*) AS n FROM sqlite_schema WHERE name = ?",
      params: [FORMED],
    });
    expect(tables.body.result).toEqual([{ n: 0 }]);
  });

  it("looks right at 1280 px and on a phone (screenshots in test/e2e/artifacts)", async () => {
    await screenshot(page, "dashboard-1280");
    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
    });
    await openDashboard(phone);
    await card(phone, ORDERS).waitFor();
    await card(phone, GONE).locator(".error-text").waitFor();
    // Nothing wider than the screen.
    expect(await phone.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await screenshot(phone, "dashboard-phone");
    await phone.close();
  });
});
