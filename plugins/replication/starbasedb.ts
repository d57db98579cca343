/**
 * The replication plugin for StarbaseDB (github.com/outerbase/starbasedb). In
 * StarbaseDB's src/index.ts (the installer, scripts/install-into-starbasedb.mjs,
 * makes these edits; README "Use it in StarbaseDB" shows them):
 *
 *   export const StarbaseDBDurableObject = withReplication(BaseDurableObject)
 *   plugins: [..., cronPlugin, new ReplicationPlugin({ cron: cronPlugin, dataSource, ctx }), ...]
 */
export { withReplication } from "./hosts/starbasedb/durable-object";
export { ReplicationPlugin, type StarbaseReplicationOptions } from "./hosts/starbasedb/plugin";
