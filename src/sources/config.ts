/**
 * Turns any accepted `SourceConfig` (parts, URL, Hyperdrive) into one
 * connection target, and maps the SSL mode onto each driver's option. Pure.
 */
import { ValidationError } from "../errors";
import { echo } from "../redact";
import type { Dialect, SourceConfig, SourceOptions, SslMode } from "./types";

export interface ConnectionTarget {
  dialect: Dialect;
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** PostgreSQL schema (default `public`) or MySQL database (default: the connection's). */
  schema: string;
  ssl: SslMode;
  /** Everything that must never appear in an error message. */
  secrets: string[];
}

export const DEFAULT_OPTIONS: Required<SourceOptions> = {
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 30_000,
  applicationName: "starbase-edge-replica",
  largeReads: true,
};

const DEFAULT_PORT: Record<Dialect, number> = { postgresql: 5432, mysql: 3306 };
const SCHEMES: Record<string, Dialect> = {
  "postgres:": "postgresql",
  "postgresql:": "postgresql",
  "mysql:": "mysql",
  "mariadb:": "mysql",
};

/** libpq `sslmode` and MySQL `ssl-mode` values. Weaker "maybe TLS" modes mean off; verify-ca is upgraded, never downgraded. */
const SSL_MODES: Record<string, SslMode> = {
  disable: "off",
  disabled: "off",
  allow: "off",
  prefer: "off",
  preferred: "off",
  false: "off",
  require: "require",
  required: "require",
  true: "require",
  "verify-ca": "verify-full",
  verify_ca: "verify-full",
  "verify-full": "verify-full",
  verify_identity: "verify-full",
};

const ENCODE_HINT = "percent-encode special characters (@ : / ? # % and spaces) in the user name and password";

/** Query parameters a connection URL may carry; anything else (a `password=`, say) would be ignored, so it is refused. */
const URL_PARAMETERS = new Set(["sslmode", "ssl-mode", "ssl", "schema"]);

export function resolveConfig(config: SourceConfig): ConnectionTarget {
  if ("hyperdrive" in config) {
    return fromUrl("postgresql", config.hyperdrive.connectionString, config.schema, undefined);
  }
  if ("url" in config) return fromUrl(config.dialect, config.url, config.schema, config.ssl);
  if (!config.host || !config.user || !config.database) {
    throw new ValidationError("source config needs host, user and database");
  }
  return {
    dialect: config.dialect,
    host: config.host,
    port: config.port ?? DEFAULT_PORT[config.dialect],
    user: config.user,
    password: config.password,
    database: config.database,
    schema: config.schema ?? defaultSchema(config.dialect, config.database),
    ssl: config.ssl ?? "off",
    secrets: config.password ? [config.password] : [],
  };
}

function defaultSchema(dialect: Dialect, database: string): string {
  return dialect === "postgresql" ? "public" : database;
}

/** `postgres://user:pass@host:5432/db?sslmode=require&schema=app`, `mysql://...?ssl-mode=REQUIRED`. */
export function parseConnectionUrl(
  url: string,
): Omit<ConnectionTarget, "schema" | "ssl"> & { schema?: string; ssl?: SslMode } {
  // The URL may hold a password: no message here ever quotes it.
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(`connection URL is not a valid URL; ${ENCODE_HINT}`);
  }
  const dialect = SCHEMES[parsed.protocol];
  if (!dialect)
    throw new ValidationError(
      `unsupported connection URL scheme ${echo(parsed.protocol)} (use postgres:// or mysql://)`,
    );
  let password: string | undefined;
  let user: string;
  let database: string;
  try {
    password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
    user = decodeURIComponent(parsed.username);
    database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  } catch {
    throw new ValidationError(`connection URL has an invalid percent-encoding; ${ENCODE_HINT}`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!host || !user || !database) throw new ValidationError(`connection URL needs a user, host and database`);
  // A password with an unencoded / or @ spills into the path: never take part of it for a database name.
  if (/[/@?#]/.test(database) || parsed.hash) {
    throw new ValidationError(`connection URL's path must be one database name; ${ENCODE_HINT}`);
  }
  for (const key of parsed.searchParams.keys()) {
    if (!URL_PARAMETERS.has(key)) {
      throw new ValidationError(
        `connection URL parameter ${echo(key, 40)} is not supported (accepted: ${[...URL_PARAMETERS].join(", ")}); ` +
          "a password belongs in the URL's user info, or in a worker secret (source.secret)",
      );
    }
  }
  const sslParam =
    parsed.searchParams.get("sslmode") ?? parsed.searchParams.get("ssl-mode") ?? parsed.searchParams.get("ssl");
  let ssl: SslMode | undefined;
  if (sslParam !== null) {
    ssl = SSL_MODES[sslParam.toLowerCase()];
    if (!ssl) throw new ValidationError(`unsupported sslmode ${echo(sslParam, 40)}`);
  }
  return {
    dialect,
    host,
    port: parsed.port ? Number(parsed.port) : DEFAULT_PORT[dialect],
    user,
    password,
    database,
    schema: parsed.searchParams.get("schema") ?? undefined,
    ssl,
    secrets: [password, parsed.password].filter((s): s is string => !!s),
  };
}

function fromUrl(
  dialect: Dialect,
  url: string,
  schema: string | undefined,
  ssl: SslMode | undefined,
): ConnectionTarget {
  const parts = parseConnectionUrl(url);
  if (parts.dialect !== dialect) {
    throw new ValidationError(`connection URL is for ${parts.dialect} but the source dialect is ${dialect}`);
  }
  return {
    ...parts,
    schema: schema ?? parts.schema ?? defaultSchema(dialect, parts.database),
    ssl: ssl ?? parts.ssl ?? "off",
  };
}

/*
 * Inside Workers the runtime does the TLS (StartTLS on the socket) and always verifies the
 * certificate chain against the CAs it trusts and the host name against the certificate,
 * whatever the driver asks for. So `require` cannot mean "encrypt without verifying" here:
 * both TLS modes ask for full verification, which is what they get.
 */

/** `pg`'s `ssl` option (pg names the server itself for a host name, and never for an IP address). */
export function pgSslOption(mode: SslMode): false | { rejectUnauthorized: true } {
  return mode === "off" ? false : { rejectUnauthorized: true };
}

/**
 * `mysql2`'s `ssl` option. `rejectUnauthorized: false` throws ERR_OPTION_NOT_IMPLEMENTED in
 * workerd; `verifyIdentity` stays unset because the runtime already checks the host name and
 * mysql2's own check calls `getPeerCertificate`, which workerd lacks (the connect then hangs).
 * mysql2 always passes a `checkServerIdentity` callback, which workerd accepts only with the
 * compatibility flag `no_throw_on_not_implemented_tls_options` (wrangler.toml).
 */
export function mysqlSslOption(mode: SslMode): undefined | { rejectUnauthorized: true } {
  return mode === "off" ? undefined : { rejectUnauthorized: true };
}
