// The client role's authorization cost: a point SELECT through /query, sent alternately as the
// admin role (no authorization) and the client role (split, EXPLAIN, root pages to tables),
// to the same worker; the difference of the medians is what authorization adds.
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** `tokens`: {admin, client}. Returns medians in ms and the added latency of the client role. */
export async function measureAuthorization(url, tokens, { requests = 1500 } = {}) {
  const query = (token, sql, params = []) =>
    fetch(`${url}/query`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ sql, params }),
    }).then(async (res) => {
      const body = await res.json();
      if (res.status !== 200) throw new Error(`/query answered ${res.status}: ${JSON.stringify(body)}`);
      return body;
    });
  await query(tokens.admin, "CREATE TABLE IF NOT EXISTS authz_bench (id INTEGER PRIMARY KEY, name TEXT, score REAL)");
  await query(
    tokens.admin,
    "INSERT OR REPLACE INTO authz_bench SELECT value, 'name ' || value, value * 1.5 FROM json_each(?)",
    [JSON.stringify(Array.from({ length: 1000 }, (_, i) => i + 1))],
  );
  const sql = "SELECT id, name, score FROM authz_bench WHERE id = ?";
  const times = { admin: [], client: [] };
  for (let i = 0; i < 100; i++) await query(i % 2 ? tokens.client : tokens.admin, sql, [i + 1]); // warm-up
  for (let i = 0; i < requests * 2; i++) {
    const role = i % 2 ? "client" : "admin";
    const started = performance.now();
    await query(tokens[role], sql, [(i % 1000) + 1]);
    times[role].push(performance.now() - started);
  }
  const admin = median(times.admin);
  const client = median(times.client);
  return {
    requests_per_role: requests,
    statement: sql,
    median_ms: { admin: round(admin), client: round(client) },
    added_median_ms: round(client - admin),
    target_ms: 0.3,
  };
}
