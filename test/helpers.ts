import { SELF } from "cloudflare:test";

export const ADMIN = "test-admin-token";
export const CLIENT = "test-client-token";

export interface ApiResponse<T = unknown> {
  status: number;
  body: { result?: T; error?: string };
}

/** Calls the worker the way a user would: JSON in, JSON out. */
export async function api<T = unknown>(
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; rawBody?: string; contentType?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? ADMIN : options.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined || options.body !== undefined) {
    headers["Content-Type"] = options.contentType ?? "application/json";
    body = options.rawBody ?? JSON.stringify(options.body);
  }
  const response = await SELF.fetch(`http://example.com${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: ApiResponse<T>["body"];
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`non-JSON answer ${response.status} from ${method} ${path}: ${text.slice(0, 200)}`);
  }
  return { status: response.status, body: parsed };
}

export function sql<T = Record<string, unknown>[]>(text: string, params: unknown[] = [], token?: string | null) {
  return api<T>("POST", "/query", { body: { sql: text, params }, token });
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
}
