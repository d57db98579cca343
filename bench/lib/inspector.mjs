// The worker isolate seen through the inspector `wrangler dev --inspector-port` exposes
// (Chrome DevTools Protocol over WebSocket): JavaScript heap usage and CPU profiles.
import { setTimeout as sleep } from "node:timers/promises";

const MIB = 1024 * 1024;
const round1 = (x) => Math.round(x * 10) / 10;

/**
 * Connects to the worker's inspector on `port`. The proxy accepts local
 * origins only, so the Origin header is set (Node 22's WebSocket takes headers).
 */
export async function connectInspector(port, { timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let targets;
  for (;;) {
    try {
      targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
      if (targets.length > 0) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`no inspector target on port ${port}`);
    await sleep(200);
  }
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl, { headers: { origin: "http://127.0.0.1" } });
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`could not open the inspector WebSocket on port ${port}`));
  });
  let nextId = 0;
  const pending = new Map();
  const listeners = new Map();
  ws.onmessage = (message) => {
    const data = JSON.parse(String(message.data));
    if (data.id === undefined) return void listeners.get(data.method)?.(data.params);
    const waiter = pending.get(data.id);
    if (!waiter) return;
    pending.delete(data.id);
    if (data.error) waiter.reject(new Error(`${waiter.method}: ${data.error.message}`));
    else waiter.resolve(data.result);
  };
  ws.onclose = () => {
    for (const waiter of pending.values()) waiter.reject(new Error(`inspector closed during ${waiter.method}`));
    pending.clear();
  };
  /** One protocol call; the isolate answers between its tasks, so a long synchronous task delays the answer. */
  const send = (method, params = {}, callTimeoutMs = 120_000) =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${method}: no answer within ${callTimeoutMs} ms`));
      }, callTimeoutMs);
      pending.set(id, {
        method,
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    send,
    /** Calls `handler(params)` for each event `method` (one handler per method). */
    on: (method, handler) => void listeners.set(method, handler),
    /** `Runtime.getHeapUsage`: V8's used and total heap of the isolate, in bytes. */
    heapUsage: () => send("Runtime.getHeapUsage"),
    close: () => ws.close(),
  };
}

/**
 * Samples the isolate's used JavaScript heap every `everyMs` (one request in
 * flight at a time) until stopped. V8's used size includes garbage not yet
 * collected, so the peak is an upper bound on what was live. With `live`, each
 * sample first asks V8 for a full collection (`HeapProfiler.collectGarbage`), so
 * the samples are what was live then; the collections slow the isolate, so a run
 * sampled that way measures nothing else.
 */
export function sampleHeap(inspector, everyMs = 100, { series = false, live = false } = {}) {
  const seen = [];
  const seenTotal = [];
  let peak = 0;
  let first = null;
  let last = null;
  let samples = 0;
  let stopped = false;
  let failure = null;
  const loop = (async () => {
    while (!stopped) {
      const t0 = Date.now();
      try {
        if (live) await inspector.send("HeapProfiler.collectGarbage");
        const { usedSize, totalSize } = await inspector.heapUsage();
        first ??= usedSize;
        last = usedSize;
        if (series) seen.push(round1(usedSize / MIB));
        if (series) seenTotal.push(round1(totalSize / MIB));
        if (usedSize > peak) peak = usedSize;
        samples++;
      } catch (error) {
        failure = error;
        return;
      }
      await sleep(Math.max(0, everyMs - (Date.now() - t0)));
    }
  })();
  const name = live ? "heap_live" : "heap";
  return {
    async stop() {
      stopped = true;
      await loop;
      if (failure) throw failure;
      return {
        [`${name}_before_mib`]: round1((first ?? 0) / MIB),
        [`${name}_peak_mib`]: round1(peak / MIB),
        [`${name}_after_mib`]: round1((last ?? 0) / MIB),
        [`${name}_samples`]: samples,
        ...(series ? { [`${name}_series_mib`]: seen, [`${name}_total_series_mib`]: seenTotal } : {}),
      };
    },
  };
}

/** Prints the `top` functions with the most self time in a V8 CPU profile (Profiler.stop's `profile`). */
export function printTopFunctions(profile, top = 25) {
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const id of profile.samples) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const key = `${functionName || "(anonymous)"} ${url.split("/").pop()}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = profile.samples.length;
  for (const [key, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((100 * n) / total).toFixed(1).padStart(5)}%  ${key}`);
}

/**
 * Prints the allocation sites with the most bytes in a sampling heap profile
 * (`HeapProfiler.getSamplingProfile`), with the function that called each site's function.
 */
export function printTopAllocations(profile, top = 25) {
  const bytes = new Map();
  let total = 0;
  const visit = (node, caller) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || "(anonymous)"} ${url.split("/").pop()}:${lineNumber + 1}`;
    if (node.selfSize > 0) {
      const key = `${name}  <- ${caller}`;
      bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children ?? []) visit(child, name);
  };
  visit(profile.head, "");
  console.log(`sampled ${(total / MIB).toFixed(1)} MiB`);
  for (const [key, n] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${(n / MIB).toFixed(1).padStart(7)} MiB ${((100 * n) / total).toFixed(1).padStart(5)}%  ${key}`);
}
