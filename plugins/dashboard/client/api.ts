// The dashboard's only way to the server: the JSON API with the admin bearer token.

export class ApiError extends Error {
  /** 0 when the server could not be reached. */
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The token is missing, wrong (401) or not the admin's (403): ask for it again. */
  get isAuth(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export type Api = <T>(method: string, path: string, body?: unknown) => Promise<T>;

export function apiClient(token: () => string | null): Api {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = {};
    const current = token();
    if (current) headers.Authorization = `Bearer ${current}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch (error) {
      throw new ApiError(0, `could not reach the server (${error instanceof Error ? error.message : String(error)})`);
    }
    let payload: { result?: T; error?: string } | undefined;
    try {
      payload = (await response.json()) as { result?: T; error?: string };
    } catch {
      payload = undefined;
    }
    if (!response.ok) {
      const message = payload?.error ?? `${response.status} ${response.statusText}`.trim();
      throw new ApiError(response.status, message);
    }
    if (!payload || !("result" in payload)) throw new ApiError(response.status, "the server answered without a result");
    return payload.result as T;
  };
}

export const jobPath = (name: string, action = "") => `/replication/jobs/${encodeURIComponent(name)}${action}`;
