/**
 * The OpenAPI 3.1 document, assembled from the routes' docs (route-docs.ts):
 * the host's own routes and each plugin's, request bodies from their zod schemas.
 */
import { z } from "zod";
import type { RouteDoc } from "./route-docs";

type JsonObject = Record<string, unknown>;

const ERROR = { $ref: "#/components/schemas/Error" };

export function openApiDocument(routes: readonly RouteDoc[], info: { title: string; version: string }): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z_]+)/g, "{$1}");
    (paths[path] ??= {})[route.method] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      ...info,
      description: 'StarbaseDB-compatible database with a replication plugin. Errors answer {"error": "..."}.',
    },
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description: "ADMIN_AUTHORIZATION_TOKEN or CLIENT_AUTHORIZATION_TOKEN",
        },
      },
      schemas: {
        Error: {
          type: "object",
          properties: { error: { type: "string", description: "What went wrong, naming the problem; never a secret" } },
          required: ["error"],
        },
      },
    },
    security: [{ bearerAuth: [] }],
  };
}

function operation(route: RouteDoc): JsonObject {
  const parameters = [
    ...[...route.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    })),
    ...(route.query ?? []).map((q) => ({
      name: q.name,
      in: "query",
      required: false,
      description: q.description,
      schema: q.values ? { type: "string", enum: [...q.values] } : { type: "string" },
    })),
  ];
  const status = String(route.status ?? 200);
  const success = route.content
    ? { description: "OK", content: { [route.content]: { schema: { type: "string" } } } }
    : {
        description: "OK",
        content: {
          "application/json": {
            schema: {
              type: "object",
              properties: { result: route.result ? jsonSchema(route.result) : {} },
              required: ["result"],
            },
          },
        },
      };
  const errors: Record<string, JsonObject> = {
    "400": errorResponse("Bad input, named in the message"),
    ...(route.access === "public" ? {} : { "401": errorResponse("No token, or a wrong one") }),
    ...(route.access === "admin" ? { "403": errorResponse("The client role may not do this") } : {}),
    "413": errorResponse("Request body over REQUEST_MAX_BYTES"),
  };
  return {
    summary: route.summary,
    ...(route.access === "public" ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(route.body) } } } }
      : {}),
    responses: {
      [status]: status === "301" ? { description: "Moved" } : success,
      ...errors,
      default: errorResponse("Other failures: 404, 409, 502 (a source), 500"),
    },
  };
}

function errorResponse(description: string): JsonObject {
  return { description, content: { "application/json": { schema: ERROR } } };
}

/** A request schema as JSON Schema (what a caller sends: the input side). */
function jsonSchema(schema: z.ZodType): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonObject;
  return rest;
}
