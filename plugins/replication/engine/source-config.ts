import { ValidationError } from "../../../src/errors";
import { redact, urlPasswords } from "../../../src/redact";
import type { SourceConfig } from "../../../src/sources/types";
import type { SourceSettings } from "./settings";

/** A worker secret or binding by name; undefined when the deployment has none. */
export type BindingLookup = (name: string) => unknown;

export interface ResolvedSource {
  config: SourceConfig;
  /** Values that must never appear in an answer, a log line or a stored error. */
  secrets: string[];
}

/** Turns a job's source settings into connection settings, reading worker secrets and bindings by name. */
export function resolveSource(settings: SourceSettings, binding: BindingLookup): ResolvedSource {
  if ("hyperdrive" in settings) {
    const hyperdrive = binding(settings.hyperdrive) as { connectionString?: unknown } | undefined;
    if (!hyperdrive || typeof hyperdrive.connectionString !== "string") {
      throw new ValidationError(`source.hyperdrive: no Hyperdrive binding named ${settings.hyperdrive} is configured`);
    }
    return {
      config: {
        dialect: "postgresql",
        hyperdrive: { connectionString: hyperdrive.connectionString },
        schema: settings.schema,
      },
      secrets: [hyperdrive.connectionString, ...urlPasswords(hyperdrive.connectionString)],
    };
  }
  if ("secret" in settings) {
    if (/_AUTHORIZATION_TOKEN$/.test(settings.secret)) {
      throw new ValidationError(`source.secret: ${settings.secret} is an auth token, not a connection URL`);
    }
    const url = binding(settings.secret);
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

/** The settings as stored and answered: passwords and URL credentials replaced by `***`. */
export function redactedSource(settings: SourceSettings): SourceSettings {
  if ("password" in settings) return { ...settings, password: settings.password ? "***" : "" };
  if ("url" in settings) return { ...settings, url: redact(settings.url) };
  return { ...settings };
}

/** True when the settings hold a secret that must be sealed before they are stored (a redacted `***` is none). */
export function holdsSecret(settings: SourceSettings): boolean {
  if ("password" in settings) return Boolean(settings.password) && settings.password !== REDACTED;
  if ("url" in settings) return urlPasswords(settings.url).some((password) => password !== REDACTED);
  return false;
}

const REDACTED = "***";
