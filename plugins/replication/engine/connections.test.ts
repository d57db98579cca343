// A job's runs share a connection kept between them: against the real PostgreSQL and MariaDB servers.
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { openSource, withSource } from "../../../src/sources";
import type { Dialect, SourceConnection } from "../../../src/sources/types";
import { SOURCES } from "../../../test/support/replication";
import { KEEP_IDLE_MS, KEEP_MAX_AGE_MS, KeptConnections } from "./connections";

const OPTIONS = { statementTimeoutMs: 20_000 };

const SESSION_ID: Record<Dialect, string> = {
  postgresql: "SELECT pg_backend_pid()",
  mysql: "SELECT CONNECTION_ID()",
};

const MANY_ROWS: Record<Dialect, string> = {
  postgresql: "SELECT g FROM generate_series(1, 100000) g",
  mysql: "SELECT seq FROM seq_1_to_100000",
};

function sessionOf(source: SourceConnection): Promise<number> {
  return source.query(SESSION_ID[source.dialect]).then((r) => Number(r.rows[0]![0]));
}

/** Whether the server still has the session (asked on a connection of its own). */
function sessionExists(dialect: Dialect, id: number): Promise<boolean> {
  const sql =
    dialect === "postgresql"
      ? "SELECT count(*) FROM pg_stat_activity WHERE pid = ?"
      : "SELECT count(*) FROM information_schema.PROCESSLIST WHERE ID = ?";
  return withSource(SOURCES[dialect], async (s) => Number((await s.query(sql, [id])).rows[0]![0]) > 0);
}

/** Waits (up to 5 s) until the server has let the session go. */
async function untilGone(dialect: Dialect, id: number): Promise<void> {
  for (let i = 0; i < 100 && (await sessionExists(dialect, id)); i++) await sleep(50);
  expect(await sessionExists(dialect, id)).toBe(false);
}

function terminate(dialect: Dialect, id: number): Promise<unknown> {
  return withSource(SOURCES[dialect], (s) =>
    s.query(
      dialect === "postgresql" ? "SELECT pg_terminate_backend(?)" : `KILL ${Number(id)}`,
      dialect === "postgresql" ? [id] : [],
    ),
  );
}

describe.each(["postgresql", "mysql"] as const)("kept connections (%s)", (dialect) => {
  const config = SOURCES[dialect];

  it("gives a job's next run the connection its last run left, and closes it once idle", async () => {
    const kept = new KeptConnections(openSource, () => 300);
    const first = await kept.run("job", config, OPTIONS, sessionOf);
    const second = await kept.run("job", config, OPTIONS, sessionOf);
    expect(second).toBe(first);
    expect(kept.keptFor()).toEqual(["job"]);
    await sleep(400);
    expect(kept.keptFor()).toEqual([]);
    await untilGone(dialect, first);
  });

  it("opens another connection once the kept one has served for KEEP_MAX_AGE_MS", async () => {
    let now = 1_000_000;
    const kept = new KeptConnections(
      openSource,
      () => KEEP_IDLE_MS,
      () => now,
    );
    const first = await kept.run("job", config, OPTIONS, sessionOf);
    now += KEEP_MAX_AGE_MS - 1;
    expect(await kept.run("job", config, OPTIONS, sessionOf)).toBe(first);
    now += 1;
    const next = await kept.run("job", config, OPTIONS, sessionOf);
    expect(next).not.toBe(first);
    await untilGone(dialect, first);
    await kept.forget("job");
  });

  it("opens another connection for another job, or for the job's changed settings, closing the old one", async () => {
    const kept = new KeptConnections(openSource);
    const a = await kept.run("a", config, OPTIONS, sessionOf);
    const b = await kept.run("b", config, OPTIONS, sessionOf);
    expect(b).not.toBe(a);
    const patched = await kept.run("a", config, { statementTimeoutMs: 25_000 }, sessionOf);
    expect(patched).not.toBe(a);
    await untilGone(dialect, a);
    await kept.forget("a");
    await kept.forget("b");
    await untilGone(dialect, patched);
    await untilGone(dialect, b);
    expect(kept.keptFor()).toEqual([]);
  });

  it("closes the connection of a failed run", async () => {
    const kept = new KeptConnections(openSource);
    let session = 0;
    const failing = kept.run("job", config, OPTIONS, async (source) => {
      session = await sessionOf(source);
      throw new Error("the run failed");
    });
    await expect(failing).rejects.toThrow("the run failed");
    expect(kept.keptFor()).toEqual([]);
    await untilGone(dialect, session);
  });

  it("does not give out a connection whose statement is still streaming", async () => {
    const kept = new KeptConnections(openSource);
    const first = await kept.run("job", config, OPTIONS, async (source) => {
      const id = await sessionOf(source);
      // Neither taken nor cancelled: the connection is still inside the statement.
      source.streamRows(MANY_ROWS[dialect], [], { bufferChars: 1 });
      return id;
    });
    const next = await kept.run("job", config, OPTIONS, sessionOf);
    expect(next).not.toBe(first);
    await untilGone(dialect, first);
    await kept.forget("job");
  });

  it("runs the work again on a new connection when the kept one dies before its first answer", async () => {
    const kept = new KeptConnections(openSource);
    const first = await kept.run("job", config, OPTIONS, sessionOf);
    let attempts = 0;
    const next = await kept.run("job", config, OPTIONS, async (source) => {
      // The server ends the kept session just as the run begins: the run's first statement fails.
      if (attempts++ === 0) await terminate(dialect, first);
      return sessionOf(source);
    });
    expect(attempts).toBe(2);
    expect(next).not.toBe(first);
    await kept.forget("job");
  });

  it("does not run the work again once the source has answered on the kept connection", async () => {
    const kept = new KeptConnections(openSource);
    const first = await kept.run("job", config, OPTIONS, sessionOf);
    let attempts = 0;
    const failing = kept.run("job", config, OPTIONS, async (source) => {
      attempts++;
      await sessionOf(source);
      await terminate(dialect, first);
      return sessionOf(source);
    });
    await expect(failing).rejects.toThrow();
    expect(attempts).toBe(1);
    expect(kept.keptFor()).toEqual([]);
  });

  it("replaces a connection the server ended while it was idle", async () => {
    const kept = new KeptConnections(openSource);
    const first = await kept.run("job", config, OPTIONS, sessionOf);
    await terminate(dialect, first);
    await untilGone(dialect, first);
    await sleep(100);
    const next = await kept.run("job", config, OPTIONS, sessionOf);
    expect(next).not.toBe(first);
    await kept.forget("job");
  });
});

describe("kept connections (postgresql transactions)", () => {
  it("does not give out a connection left inside a transaction", async () => {
    const kept = new KeptConnections(openSource);
    const first = await kept.run("job", SOURCES.postgresql, OPTIONS, async (source) => {
      await source.query("BEGIN");
      return sessionOf(source);
    });
    const next = await kept.run("job", SOURCES.postgresql, OPTIONS, sessionOf);
    expect(next).not.toBe(first);
    await untilGone("postgresql", first);
    await kept.forget("job");
  });
});
