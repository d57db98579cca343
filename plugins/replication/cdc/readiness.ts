/**
 * Whether a PostgreSQL source can serve change capture for a table, decided
 * from facts read in one query. The decision is pure; every problem says what
 * to run or change.
 */
import type { SourceConnection } from "../../../src/sources/types";

export interface CdcFacts {
  walLevel: string;
  serverEncoding: string;
  user: string;
  /** Superuser, REPLICATION attribute, or (Amazon RDS) a member of rds_replication. */
  mayReplicate: boolean;
  maxSlots: number;
  usedSlots: number;
  /** `d` default, `n` nothing, `f` full, `i` index; null when the table was not found. */
  replicaIdentity: string | null;
  tableOid: number | null;
  /** The named publication, when the job names one. */
  publication?: {
    exists: boolean;
    hasTable: boolean;
    /** What it publishes: insert, update, delete, truncate. */
    publishes: { insert: boolean; update: boolean; delete: boolean; truncate: boolean };
    /** PostgreSQL 15's row filter on the table (its WHERE), null when none. */
    rowFilter?: string | null;
    /** PostgreSQL 15's column list: true when it leaves some of the table's columns out. */
    someColumns?: boolean;
  };
}

export interface CdcRequest {
  /** `schema.table`, as quoted in messages. */
  table: string;
  primaryKey: readonly string[];
  publication?: string;
}

/** Everything that stops change capture, each with the fix; empty when the source is ready. */
export function cdcProblems(facts: CdcFacts, request: CdcRequest): string[] {
  const problems: string[] = [];
  const { table } = request;
  if (facts.walLevel !== "logical") {
    problems.push(
      `wal_level is ${facts.walLevel}, and change capture needs logical: run ALTER SYSTEM SET wal_level = logical ` +
        `and restart PostgreSQL (managed services: see README "Change data capture")`,
    );
  }
  if (!facts.mayReplicate) {
    problems.push(
      `role ${facts.user} may not create replication slots: as a superuser run ALTER ROLE ${facts.user} WITH REPLICATION ` +
        `(Amazon RDS: GRANT rds_replication TO ${facts.user}), or connect as a role that may`,
    );
  }
  if (facts.maxSlots - facts.usedSlots <= 0) {
    problems.push(
      `every replication slot is in use (max_replication_slots = ${facts.maxSlots}): drop an unused one ` +
        `(SELECT pg_drop_replication_slot(name)) or raise max_replication_slots and restart PostgreSQL`,
    );
  }
  if (facts.serverEncoding !== "UTF8") {
    problems.push(`the database's encoding is ${facts.serverEncoding}; change capture reads UTF8 databases only`);
  }
  if (request.primaryKey.length === 0) {
    problems.push(
      `${table} has no primary key, and change capture needs one to apply updates and deletes: ` +
        `ALTER TABLE ${table} ADD PRIMARY KEY (...)`,
    );
  }
  if (facts.replicaIdentity === "n" || facts.replicaIdentity === "i") {
    const what = facts.replicaIdentity === "n" ? "NOTHING" : "USING INDEX";
    problems.push(
      `${table} has REPLICA IDENTITY ${what}, so its updates and deletes would not carry the primary key: ` +
        `ALTER TABLE ${table} REPLICA IDENTITY DEFAULT`,
    );
  }
  const named = request.publication;
  const publication = facts.publication;
  if (named !== undefined && publication) {
    if (!publication.exists) {
      problems.push(
        `publication ${named} does not exist: CREATE PUBLICATION ${named} FOR TABLE ${table}, ` +
          `or leave publication out and the job creates one`,
      );
    } else {
      if (!publication.hasTable)
        problems.push(`publication ${named} does not publish ${table}: ALTER PUBLICATION ${named} ADD TABLE ${table}`);
      const missing = Object.entries(publication.publishes)
        .filter(([, published]) => !published)
        .map(([operation]) => operation);
      if (missing.length) {
        problems.push(
          `publication ${named} does not publish ${missing.join(", ")}: ` +
            `ALTER PUBLICATION ${named} SET (publish = 'insert, update, delete, truncate')`,
        );
      }
      // The replica must hold every row and column: a filtered publication would leave changes out.
      if (publication.rowFilter) {
        problems.push(
          `publication ${named} publishes only the rows of ${table} WHERE ${publication.rowFilter}: ` +
            `ALTER PUBLICATION ${named} SET TABLE ${table}, or leave publication out and the job creates one`,
        );
      }
      if (publication.someColumns) {
        problems.push(
          `publication ${named} publishes only some columns of ${table}: ` +
            `ALTER PUBLICATION ${named} SET TABLE ${table}, or leave publication out and the job creates one`,
        );
      }
    }
  }
  return problems;
}

/** Reads the facts in one round trip. */
export async function readCdcFacts(
  source: SourceConnection,
  schema: string,
  table: string,
  publication: string | undefined,
): Promise<CdcFacts> {
  const result = await source.query(
    `SELECT current_setting('wal_level'), current_setting('server_encoding'), current_user::text,
            (SELECT rolsuper OR rolreplication FROM pg_roles WHERE rolname = current_user)
              OR EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = 'rds_replication' AND pg_has_role(current_user, r.oid, 'MEMBER')),
            current_setting('max_replication_slots')::int,
            (SELECT count(*)::int FROM pg_replication_slots),
            c.relreplident::text, c.oid::int8,
            p.oid IS NOT NULL,
            EXISTS (SELECT 1 FROM pg_publication_tables t WHERE t.pubname = p.pubname AND t.schemaname = ? AND t.tablename = ?),
            coalesce(p.pubinsert, false), coalesce(p.pubupdate, false), coalesce(p.pubdelete, false), coalesce(p.pubtruncate, false),
            -- PostgreSQL 15 added rowfilter and attnames; to_jsonb reads them where they exist.
            (SELECT to_jsonb(t) ->> 'rowfilter' FROM pg_publication_tables t
              WHERE t.pubname = p.pubname AND t.schemaname = ? AND t.tablename = ?),
            (SELECT jsonb_array_length(to_jsonb(t) -> 'attnames') FROM pg_publication_tables t
              WHERE t.pubname = p.pubname AND t.schemaname = ? AND t.tablename = ?)
              < (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                   AND a.attgenerated = '')
       FROM (SELECT 1) AS one
       LEFT JOIN pg_namespace n ON n.nspname = ?
       LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = ?
       LEFT JOIN pg_publication p ON p.pubname = ?`,
    [schema, table, schema, table, schema, table, schema, table, publication ?? null],
  );
  const [walLevel, encoding, user, mayReplicate, maxSlots, usedSlots, identity, oid, ...pub] = result.rows[0]!;
  const [exists, hasTable, insert, update, del, truncate] = pub.map((v) => v === 1);
  const [rowFilter, someColumns] = pub.slice(6);
  return {
    walLevel: String(walLevel),
    serverEncoding: String(encoding),
    user: String(user),
    mayReplicate: mayReplicate === 1,
    maxSlots: Number(maxSlots),
    usedSlots: Number(usedSlots),
    replicaIdentity: identity === null ? null : String(identity),
    tableOid: oid === null ? null : Number(oid),
    ...(publication === undefined
      ? {}
      : {
          publication: {
            exists: exists!,
            hasTable: hasTable!,
            publishes: { insert: insert!, update: update!, delete: del!, truncate: truncate! },
            rowFilter: typeof rowFilter === "string" ? rowFilter : null,
            someColumns: someColumns === 1,
          },
        }),
  };
}
