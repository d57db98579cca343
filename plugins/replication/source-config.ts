import { lookupBinding, type Env } from "../../src/env";
import { ValidationError } from "../../src/errors";
import { redact, urlPasswords } from "../../src/redact";
import type { SourceConfig } from "../../src/sources/types";
import type { SourceSettings } from "./schema";

export interface ResolvedSource {
  config: SourceConfig;
  /** Values that must never appear in an answer, a log line or a stored error. */
  secrets: string[];
}

/** Turns a job's source settings into connection settings, reading worker secrets and bindings by name. */
export function resolveSource(settings: SourceSettings, env: Env): ResolvedSource {
  if ("hyperdrive" in settings) {
    const binding = lookupBinding(env, settings.hyperdrive) as { connectionString?: unknown } | undefined;
    if (!binding || typeof binding.connectionString !== "string") {
      throw new ValidationError(`source.hyperdrive: no Hyperdrive binding named ${settings.hyperdrive} is configured`);
    }
    return {
      config: {
        dialect: "postgresql",
        hyperdrive: { connectionString: binding.connectionString },
        schema: settings.schema,
      },
      secrets: [binding.connectionString, ...urlPasswords(binding.connectionString)],
    };
  }
  if ("secret" in settings) {
    if (/_AUTHORIZATION_TOKEN$/.test(settings.secret)) {
      throw new ValidationError(`source.secret: ${settings.secret} is an auth token, not a connection URL`);
    }
    const url = lookupBinding(env, settings.secret);
    if (typeof url !== "string" || url.length === 0) {
      throw new ValidationError(`source.secret: the worker secret ${settings.secret} is not set`);
    }
    return {
      config: { dialect: settings.dialect, url, schema: settings.schema, ssl: settings.ssl },
      secrets: [url, ...urlPasswords(url)],
    };
  }
  if ("url" in settings) {
    return { config: { ...settings }, secrets: urlPasswords(settings.url) };
  }
  return { config: { ...settings }, secrets: settings.password ? [settings.password] : [] };
}

/** The settings as an answer shows them: passwords and URL credentials replaced by `***`. */
export function redactedSource(settings: SourceSettings): Record<string, unknown> {
  if ("password" in settings) return { ...settings, password: settings.password ? "***" : "" };
  if ("url" in settings) return { ...settings, url: redact(settings.url) };
  return { ...settings };
}
