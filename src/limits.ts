/**
 * Durable Object SQLite limits this project enforces itself (local workerd does
 * not enforce all of them): https://developers.cloudflare.com/durable-objects/platform/limits/
 */

/** Bound parameters in one SQL statement. */
export const MAX_BOUND_PARAMETERS = 100;

/** Bytes in one string, BLOB or table row. */
export const MAX_VALUE_BYTES = 2_000_000;

/** Bytes of SQL text in one statement. */
export const MAX_SQL_BYTES = 100_000;

/** Columns in one table. */
export const MAX_TABLE_COLUMNS = 100;
