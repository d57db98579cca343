// Demo replication source for `npm start`: an in-memory PostgreSQL (PGlite, PostgreSQL
// compiled to WebAssembly) served over the PostgreSQL wire protocol on 127.0.0.1:5433,
// with a table `demo_orders` that gains a row and has another row updated every second.
//
// Any PostgreSQL client can connect: user `postgres`, any password, database `postgres`,
// no TLS (for psql: PGSSLMODE=disable psql -h 127.0.0.1 -p 5433 -U postgres postgres).
// Run it alone with `npx node scripts/demo-source.mjs` (DEMO_PG_PORT sets the port).
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { pathToFileURL } from "node:url";

export const DEMO_TABLE = "demo_orders";
export const DEFAULT_DEMO_PORT = 5433;

const CUSTOMERS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka"];
const customerExpr = (pick) => `(ARRAY[${CUSTOMERS.map((c) => `'${c}'`).join(", ")}])[${pick}]`;

const SCHEMA = `
  CREATE TABLE ${DEMO_TABLE} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer text NOT NULL,
    amount numeric(10, 2) NOT NULL,
    status text NOT NULL,
    updated_at timestamptz(6) NOT NULL DEFAULT now()
  );
  -- Replication pages on (tracking column, key): this index makes each page an index range scan.
  CREATE INDEX ${DEMO_TABLE}_updated_at_id ON ${DEMO_TABLE} (updated_at, id);
  INSERT INTO ${DEMO_TABLE} (customer, amount, status, updated_at)
    SELECT ${customerExpr("1 + g % 8")},
           round((10 + random() * 490)::numeric, 2),
           (ARRAY['new', 'paid', 'shipped', 'delivered'])[1 + g % 4],
           now() - make_interval(mins => 50 - g)
    FROM generate_series(1, 50) AS g;
`;

// One tick of the writer: a new order, and one open order moves a step along.
const TICK = `
  INSERT INTO ${DEMO_TABLE} (customer, amount, status)
    VALUES (${customerExpr("1 + floor(random() * 8)::int")}, round((10 + random() * 490)::numeric, 2), 'new');
  UPDATE ${DEMO_TABLE}
    SET status = CASE status WHEN 'new' THEN 'paid' WHEN 'paid' THEN 'shipped' ELSE 'delivered' END,
        updated_at = clock_timestamp()
    WHERE id = (SELECT id FROM ${DEMO_TABLE} WHERE status <> 'delivered' ORDER BY random() LIMIT 1);
`;

/** A simple-protocol Query message ('Q', length, SQL, NUL): the unit PGlite runs atomically. */
function queryMessage(sql) {
  const text = Buffer.from(`${sql}\0`, "utf8");
  const message = Buffer.alloc(5 + text.length);
  message.write("Q", 0, "latin1");
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return new Uint8Array(message);
}

/** Port from DEMO_PG_PORT, else 5433. */
export function demoPort(env = process.env) {
  const raw = env.DEMO_PG_PORT;
  if (raw === undefined || raw === "") return DEFAULT_DEMO_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`DEMO_PG_PORT must be a port number, not ${raw}`);
  return port;
}

/**
 * Starts PGlite, creates and seeds the table, serves it on host:port and starts the writer.
 * Resolves to `{ host, port, stop }`; `stop()` ends the writer, the server and the database.
 */
export async function startDemoSource({
  host = "127.0.0.1",
  port = DEFAULT_DEMO_PORT,
  intervalMs = 1000,
  log = console.log,
} = {}) {
  const db = await PGlite.create();
  await db.exec(SCHEMA);

  // PGlite is one PostgreSQL backend shared by every connection. pglite-socket queues the
  // clients' protocol messages one at a time, and keeps other clients out while one is inside
  // an explicit transaction. The writer works on `db` directly, so it follows the same rules
  // by hand: it runs as one Query message under PGlite's lock (`runExclusive`), never while a
  // client holds a transaction open, and waits (up to maxDeferMs) while a client is connected,
  // so it cannot land between the messages of a client's Parse/Bind/Execute/Sync sequence.
  // maxConnections > 1 lets a psql session stay open while the replication job polls.
  const server = new PGLiteSocketServer({ db, host, port, maxConnections: 8 });
  try {
    await server.start();
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }

  const maxDeferMs = 3 * intervalMs;
  let lastWrite = Date.now();
  let failures = 0;
  const tick = () =>
    db.runExclusive(async () => {
      if (db.isInTransaction()) return;
      if (server.getStats().activeConnections > 0 && Date.now() - lastWrite < maxDeferMs) return;
      // execProtocolStream, not execProtocol: only the former routes the answer back to us
      // (execProtocol would hand it to the last socket client's output callback).
      await db.execProtocolStream(queryMessage(TICK), { syncToFs: false });
      lastWrite = Date.now();
    });

  let stopped = false;
  let running = Promise.resolve();
  const timer = setInterval(() => {
    running = tick().then(
      () => (failures = 0),
      (error) => {
        if (failures++ < 3) log(`demo source: write failed: ${error.message}`);
      },
    );
  }, intervalMs);

  log(
    `demo source: PostgreSQL (PGlite, in memory) on ${host}:${port}, ` +
      `table ${DEMO_TABLE} (50 rows, +1 row and 1 update every ${intervalMs / 1000} s)`,
  );

  async function stop() {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    await running;
    await server.stop();
    await db.close();
  }
  return { host, port, stop };
}

// Run alone: `npx node scripts/demo-source.mjs`; Ctrl-C stops it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const demo = await startDemoSource({ port: demoPort() });
  const stop = () => demo.stop().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
