import type { z } from "zod";

/**
 * One route as the OpenAPI document describes it. Request bodies are the zod
 * schemas that validate them, so the document is never written twice by hand.
 */
export interface RouteDoc {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** The path as the app registers it: `/replication/jobs/:name`. */
  path: string;
  summary: string;
  /** `public`: no token; `any`: either role; `admin`: the admin role only. */
  access: "public" | "any" | "admin";
  body?: z.ZodType;
  query?: ReadonlyArray<{ name: string; description: string; values?: readonly string[] }>;
  /** The `result` of a success answer, when a schema describes it. */
  result?: z.ZodType;
  /** 200 unless said otherwise. */
  status?: 200 | 201 | 301;
  /** What a success answers when it is not JSON. */
  content?: "text/html" | "text/javascript" | "text/css";
}
