/**
 * What a run learns for the next run of the same object (a slot's peek size, a job's row size),
 * kept per database: several Durable Objects can share an isolate, so not one map for the isolate.
 * It lives while the object does; an object that starts afresh learns again.
 */
export function perDatabase<V>(): (sql: SqlStorage) => Map<string, V> {
  const maps = new WeakMap<SqlStorage, Map<string, V>>();
  return (sql) => {
    let map = maps.get(sql);
    if (!map) maps.set(sql, (map = new Map()));
    return map;
  };
}
