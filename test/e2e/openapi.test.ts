/**
 * GET /openapi.json: a valid OpenAPI 3.1 document that lists exactly the routes the
 * app registers. Runs in Node: the validator compiles JSON Schemas with code
 * generation, which the Workers runtime forbids.
 */
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { plugins } from "../../plugins";
import { createApp, routeDocs } from "../../src/http/app";
import { openApiDocument } from "../../src/http/openapi";

const document = openApiDocument(routeDocs(plugins), { title: "test", version: "0" });

describe("the OpenAPI document", () => {
  it("validates as OpenAPI 3.1", async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("lists every route the app registers, and no other", async () => {
    const app = await createApp(plugins);
    const registered = new Set(
      app.routes
        .filter((r) => r.method !== "ALL")
        .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z_]+)/g, "{$1}")}`),
    );
    const documented = new Set(
      Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    expect([...registered].sort()).toEqual([...documented].sort());
  });

  it("describes request bodies from their zod schemas, path parameters and the bearer scheme", () => {
    const paths = document.paths as Record<string, Record<string, { requestBody?: unknown; parameters?: unknown[] }>>;
    const create = JSON.stringify(paths["/replication/jobs"]!.post!.requestBody);
    for (const field of ["name", "source", "table_name", "tracking_col", "cron_tab", "batch_size"]) {
      expect(create).toContain(`"${field}"`);
    }
    expect(create).toContain('"hyperdrive"'); // the source's four shapes
    expect(paths["/replication/jobs/{name}/run"]!.post!.parameters).toEqual([
      { name: "name", in: "path", required: true, schema: { type: "string" } },
    ]);
    expect(JSON.stringify(paths["/query"]!.post!.requestBody)).toContain('"transaction"');
    expect(document).toMatchObject({
      components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } } },
      security: [{ bearerAuth: [] }],
    });
  });
});
