import type { MiddlewareHandler } from "hono";
import { ForbiddenError, UnauthorizedError } from "../errors";
import type { AppEnv, Role } from "../plugin";

/**
 * Resolves the caller's role from `Authorization: Bearer <token>`.
 * A role whose token is not configured cannot log in; tokens are compared in constant time.
 */
export function bearerAuth(): MiddlewareHandler<AppEnv> {
  return async function bearerAuth(c, next) {
    const token = bearerToken(c.req.header("Authorization"));
    if (token === undefined) throw new UnauthorizedError();
    const role = await roleOf(token, {
      admin: c.env.ADMIN_AUTHORIZATION_TOKEN,
      client: c.env.CLIENT_AUTHORIZATION_TOKEN,
    });
    if (!role) throw new UnauthorizedError();
    c.set("role", role);
    await next();
  };
}

/** Lets only the admin role through; the client role gets 403. */
export function requireAdmin(): MiddlewareHandler<AppEnv> {
  return async function requireAdmin(c, next) {
    if (c.get("role") !== "admin") throw new ForbiddenError();
    await next();
  };
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

export async function roleOf(token: string, tokens: Record<Role, string | undefined>): Promise<Role | undefined> {
  // Check every role, so timing does not reveal which one matched.
  const [admin, client] = await Promise.all([sameSecret(token, tokens.admin), sameSecret(token, tokens.client)]);
  if (admin) return "admin";
  if (client) return "client";
  return undefined;
}

async function sameSecret(given: string, expected: string | undefined): Promise<boolean> {
  if (!expected) return false;
  const encoder = new TextEncoder();
  // Hash both sides so the comparison has a fixed length whatever the inputs.
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}
