// How long a reader waits while the object works: a point SELECT sent through /query on a fixed
// schedule (every `everyMs`, whether or not the previous one has answered), timed from its
// scheduled send to its answer, so that time spent queued behind the object counts.
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";

const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** POSTs `body` to `url`; resolves with the status and, for an answer other than 200, its body. */
function post(agent, url, token, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: "POST", agent, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" } },
      (res) => {
        const chunks = [];
        if (res.statusCode === 200) res.resume();
        else res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Starts sending `sql` (with a fresh parameter from `params()`) every `everyMs`; `stop()` returns
 * the latencies. A few kept-alive connections carry the requests, as a browser's would: a request
 * that finds them all busy waits for one, and that wait counts in its latency.
 */
export function sampleQueryLatency(
  url,
  token,
  { sql, params = () => [], everyMs = 10, connections = 16, slowMs = null },
) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  const slow = [];
  const statuses = {};
  // Each status other than 200: when it was first and last answered (ms after the first request), and its first body.
  const errors = {};
  const t0 = performance.now();
  const inFlight = new Set();
  let stopped = false;
  const send = () => {
    const started = performance.now();
    const request = post(agent, `${url}/query`, token, JSON.stringify({ sql, params: params() }))
      .then(({ status, body }) => {
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status !== 200) {
          const at = round(started - t0, 0);
          errors[status] ??= { first_ms: at, last_ms: at, body: body.slice(0, 200) };
          errors[status].last_ms = at;
        }
        const latency = performance.now() - started;
        if (status === 200) latencies.push(latency);
        if (slowMs !== null && latency > slowMs) slow.push([round(started - t0, 0), round(latency, 0)]);
      })
      .catch(() => void (statuses.network_error = (statuses.network_error ?? 0) + 1))
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      send();
      await sleep(Math.max(0, t0 + (i + 1) * everyMs - performance.now()));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(inFlight);
      agent.destroy();
      const sorted = [...latencies].sort((a, b) => a - b);
      return {
        every_ms: everyMs,
        answered: sorted.length,
        statuses,
        ...(Object.keys(errors).length ? { errors } : {}),
        p50_ms: round(percentile(sorted, 50)),
        p99_ms: round(percentile(sorted, 99)),
        max_ms: round(sorted[sorted.length - 1] ?? 0),
        ...(slowMs === null ? {} : { slow_answers: slow }),
      };
    },
  };
}
