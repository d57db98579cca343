import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server, type Socket, connect } from "node:net";

/**
 * A TCP proxy in front of a real database server, controlled over HTTP by
 * tests running inside workerd. It produces real network faults (refused,
 * reset, stalled connections) without touching the shared servers.
 *
 *   POST /<name>/down      reset every open connection and refuse new ones
 *   POST /<name>/stall     keep connections open but stop forwarding (the source stops answering)
 *   POST /<name>/stall?after=N  forward N more bytes from the server, then stop forwarding
 *   POST /<name>/cut?after=N  forward N more bytes from the server, then reset
 *   POST /<name>/hold      stop reading from every connection, new ones included; bytes wait in TCP buffers
 *                          until `up` (a slow network: nothing is lost)
 *   POST /<name>/up        back to normal
 *   GET  /<name>/connections  how many client connections are open
 */
type Mode =
  | { kind: "up" }
  | { kind: "down" }
  | { kind: "stall" }
  | { kind: "hold" }
  | { kind: "cut" | "stall-after"; after: number };

interface Proxy {
  server: Server;
  sockets: Set<Socket>;
  /** The client side of each open connection. */
  clients: Set<Socket>;
  mode: Mode;
  port: number;
}

export interface FaultProxies {
  ports: Record<string, number>;
  controlPort: number;
  close(): Promise<void>;
}

export async function startFaultProxies(targets: Record<string, number>): Promise<FaultProxies> {
  const proxies = new Map<string, Proxy>();
  for (const [name, targetPort] of Object.entries(targets)) proxies.set(name, await startProxy(targetPort));

  const control: HttpServer = createHttpServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const [, name, action] = url.pathname.split("/");
    const proxy = name ? proxies.get(name) : undefined;
    if (proxy && req.method === "GET" && action === "connections") {
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ count: proxy.clients.size }));
      return;
    }
    if (!proxy || req.method !== "POST") {
      res.writeHead(404).end();
      return;
    }
    if (action === "down") {
      proxy.mode = { kind: "down" };
      for (const socket of proxy.sockets) socket.resetAndDestroy();
    } else if (action === "stall") {
      const after = url.searchParams.get("after");
      proxy.mode = after === null ? { kind: "stall" } : { kind: "stall-after", after: Number(after) };
    } else if (action === "cut") proxy.mode = { kind: "cut", after: Number(url.searchParams.get("after") ?? 0) };
    else if (action === "hold") {
      proxy.mode = { kind: "hold" };
      for (const socket of proxy.sockets) socket.pause();
    } else if (action === "up") {
      proxy.mode = { kind: "up" };
      for (const socket of proxy.sockets) socket.resume();
    } else {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ mode: proxy.mode.kind }));
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));

  return {
    ports: Object.fromEntries([...proxies].map(([name, p]) => [name, p.port])),
    controlPort: (control.address() as { port: number }).port,
    async close() {
      for (const proxy of proxies.values()) {
        for (const socket of proxy.sockets) socket.destroy();
        proxy.server.close();
      }
      control.close();
    },
  };
}

async function startProxy(targetPort: number): Promise<Proxy> {
  const proxy: Proxy = {
    server: undefined as unknown as Server,
    sockets: new Set(),
    clients: new Set(),
    mode: { kind: "up" },
    port: 0,
  };
  proxy.server = createServer((client) => {
    if (proxy.mode.kind === "down") {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, "127.0.0.1");
    const track = (s: Socket) => {
      proxy.sockets.add(s);
      s.on("close", () => proxy.sockets.delete(s));
      s.on("error", () => undefined);
    };
    track(client);
    track(upstream);
    proxy.clients.add(client);
    client.on("close", () => proxy.clients.delete(client));
    if (proxy.mode.kind === "hold") {
      client.pause();
      upstream.pause();
    }
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", closeBoth);
    upstream.on("close", closeBoth);
    client.on("data", (chunk) => {
      if (proxy.mode.kind !== "stall") upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      const mode = proxy.mode;
      if (mode.kind === "stall") return;
      if (mode.kind === "cut" || mode.kind === "stall-after") {
        if (chunk.length >= mode.after) {
          const cut = mode.kind === "cut";
          client.write(chunk.subarray(0, mode.after), () => {
            if (!cut) return;
            client.resetAndDestroy();
            upstream.destroy();
          });
          proxy.mode = cut ? { kind: "down" } : { kind: "stall" };
          return;
        }
        mode.after -= chunk.length;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
  proxy.port = (proxy.server.address() as { port: number }).port;
  return proxy;
}
