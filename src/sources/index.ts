/**
 * Entry point for external sources: open a connection from any accepted
 * config, or run work on one that is always closed afterwards.
 */
import { DEFAULT_OPTIONS, resolveConfig } from "./config";
import { openMysql } from "./mysql";
import { openPostgres } from "./postgres";
import type { SourceConfig, SourceConnection, SourceOptions } from "./types";

export type * from "./types";
export { dialectOf, mysqlDialect, postgresDialect } from "./dialects";
export { mysqlSslOption, parseConnectionUrl, pgSslOption, resolveConfig, type ConnectionTarget } from "./config";
export { mysqlSqliteTypeOf } from "./mysql-types";
export { pgSqliteTypeOf, pgToSqliteValue } from "./pg-types";
export { rewritePlaceholders } from "./pg-placeholders";
export { TableNotFoundError } from "./table-info";

/** Connects (ValidationError for a bad config, SourceUnavailableError when the server cannot be reached). */
export async function openSource(config: SourceConfig, options: SourceOptions = {}): Promise<SourceConnection> {
  const target = resolveConfig(config);
  const resolved: Required<SourceOptions> = {
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_OPTIONS.connectTimeoutMs,
    statementTimeoutMs: options.statementTimeoutMs ?? DEFAULT_OPTIONS.statementTimeoutMs,
    applicationName: options.applicationName ?? DEFAULT_OPTIONS.applicationName,
    largeReads: options.largeReads ?? DEFAULT_OPTIONS.largeReads,
  };
  return target.dialect === "postgresql" ? openPostgres(target, resolved) : openMysql(target, resolved);
}

/** Runs `fn` on a fresh connection and closes it whatever happens (success, error, timeout). */
export function withSource<T>(
  config: SourceConfig,
  fn: (source: SourceConnection) => Promise<T>,
  options?: SourceOptions,
): Promise<T> {
  return withOpenedSource(openSource, config, fn, options);
}

/** withSource with the connection opened by `open` (a host's own way of connecting). */
export async function withOpenedSource<T>(
  open: typeof openSource,
  config: SourceConfig,
  fn: (source: SourceConnection) => Promise<T>,
  options?: SourceOptions,
): Promise<T> {
  const source = await open(config, options);
  try {
    return await fn(source);
  } finally {
    await source.close();
  }
}
