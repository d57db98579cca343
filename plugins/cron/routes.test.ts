import { env, SELF } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { DATABASE_OBJECT_NAME } from "../../src/database-client";
import type { CronTask } from "./types";
import { type DatabaseStub, withCron, YEARLY } from "./testing";

const NAME = `routes-test:${crypto.randomUUID()}`;

function get(token?: string) {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  return SELF.fetch("http://x/cron/tasks", { headers });
}

describe("GET /cron/tasks", () => {
  // The worker talks to the one shared database object, not a per-test one.
  const shared: DatabaseStub = env.DATABASE_DURABLE_OBJECT.get(
    env.DATABASE_DURABLE_OBJECT.idFromName(DATABASE_OBJECT_NAME),
  );
  afterAll(() => withCron(shared, (cron) => cron.removeEvent(NAME)));

  it("lists tasks in the API shape for the admin", async () => {
    await withCron(shared, (cron) => cron.addEvent(YEARLY, NAME, { table: "users" }));
    const response = await get("test-admin-token");
    expect(response.status).toBe(200);
    const body = (await response.json()) as { result: CronTask[] };
    const task = body.result.find((t) => t.name === NAME);
    expect(task).toMatchObject({
      cron_tab: YEARLY,
      payload: { table: "users" },
      enabled: true,
      last_run_at: null,
      last_error: null,
      running: false,
    });
    expect(Object.keys(task!).sort()).toEqual(
      ["cron_tab", "enabled", "last_error", "last_run_at", "name", "next_run_at", "payload", "running"].sort(),
    );
    expect(Date.parse(task!.next_run_at!)).toBeGreaterThan(Date.now());
  });

  it("is forbidden to the client role", async () => {
    const response = await get("test-client-token");
    expect(response.status).toBe(403);
  });

  it("needs a token", async () => {
    const response = await get();
    expect(response.status).toBe(401);
  });
});
