/**
 * Test fixtures: a table of every type each connector maps, rows at the types' edges, and the
 * values the connector must return for them. The connector tests read them through the source
 * layer; the replication tests through a job, into the replica.
 */
import type { SourceConnection, SqliteValue } from "./types";
import { bytes } from "./test-support";

export function pgSweepColumns(mood: string): string {
  return `
  id integer PRIMARY KEY,
  c_int2 smallint, c_int4 integer, c_int8 bigint NOT NULL DEFAULT 0, c_numeric numeric, c_num_scale numeric(10,2),
  c_float4 real, c_float8 double precision, c_bool boolean,
  c_text text, c_varchar varchar(20), c_char char(5), c_uuid uuid, c_enum ${mood}, c_inet inet, c_cidr cidr, c_macaddr macaddr,
  c_date date, c_time time(6), c_timetz timetz, c_ts timestamp(6), c_tstz timestamptz(6), c_interval interval,
  c_json json, c_jsonb jsonb, c_int_arr integer[], c_text_arr text[], c_num_arr numeric[], c_enum_arr ${mood}[], c_bytea bytea,
  c_text_esc text, c_money money, c_bit bit(3), c_varbit varbit, c_point point, c_range int4range, c_tstzrange tstzrange,
  c_tsvector tsvector, c_xml xml, c_char1 "char", c_name name, c_num_special numeric, c_domain ${mood}_positive,
  c_tstz_arr timestamptz[], c_bool_arr boolean[], c_char_arr char(3)[], c_bytea_arr bytea[], c_jsonb_arr jsonb[],
  c_float8_arr double precision[], c_int8_arr bigint[]`;
}

/** Columns after c_bytea. */
const PG_LATER_COLUMNS = 20;

const PG_ROW_MAX = `(1, 32767, 2147483647, 9223372036854775807, 12345678901234567890.12345678901234567890, 99999999.99,
  1.1, 1.7976931348623157e308, true,
  'héllo 🙂 wörld', '', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'happy', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03',
  '2024-02-29', '23:59:59.999999', '12:00:00+05:30', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123456+05:30',
  '1 year 2 months 3 days 04:05:06.5',
  '{"a": [1, 2.50, {"b": null}], "big": 12345678901234567890}', '{"b": 1, "a": [true, "🙂"]}',
  '{}', '{"a b","c\\"d",NULL,""}', '{1.10,12345678901234567890.5}', '{happy,sad}', '\\x00ff0000'::bytea,
  E'tab\\there\\nnew line\\\\back\\rslash "quoted" \\x01', 1234.56, B'101', B'1', '(1.5,-2)', '[1,10)', '[2024-01-01 00:00+00,)',
  'a fat cat', '<a b="1">x &amp; y</a>', 'x', 'some_name', 'Infinity', 7,
  '{"2024-01-02 03:04:05.123456+05:30",infinity}', '{t,f,NULL}', '{a,"b c"}', '{"\\\\x00ff",NULL}', ARRAY['{"a": 1}', '[true]']::jsonb[],
  '{1.5,NaN,-Infinity,1e300}', '{9223372036854775807,-1}')`;

const PG_ROW_MIN = `(2, -32768, -2147483648, -9223372036854775808, -0.000000000000000000000000000000000000001, -99999999.99,
  'NaN', '-Infinity', false,
  '', '', '', '00000000-0000-0000-0000-000000000000', 'sad', '::1', '::/0', '00:00:00:00:00:00',
  '0044-03-15 BC', '00:00:00', '00:00:00-08', '-infinity', '2023-12-31 20:00:00.5-08:00',
  '-1 days', 'null', '[]', '{{1,2},{3,NULL}}', '{}', '{}', '{}', '\\x'::bytea,
  '', -0.01, B'000', B'', '(0,0)', 'empty', '(,)',
  '', '', '', '', 'NaN', 1,
  '{}', '{}', '{}', '{}', '{}',
  '{}', '{}')`;

const PG_ROW_NULL = "(3" + ", NULL".repeat(2) + ", 0" + ", NULL".repeat(26 + PG_LATER_COLUMNS) + ")";

/** Every value of the PostgreSQL rows exactly as the connector must return it. */
export const PG_SWEEP_EXPECTED: SqliteValue[][] = [
  [
    1,
    32767,
    2147483647,
    "9223372036854775807",
    "12345678901234567890.12345678901234567890",
    "99999999.99",
    1.1,
    1.7976931348623157e308,
    1,
    "héllo 🙂 wörld",
    "",
    "ab   ",
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    "happy",
    "192.168.0.1/24",
    "10.0.0.0/8",
    "08:00:2b:01:02:03",
    "2024-02-29",
    "23:59:59.999999",
    "12:00:00+05:30",
    "2024-01-02T03:04:05.123456",
    "2024-01-01T21:34:05.123456Z",
    "P1Y2M3DT4H5M6.5S",
    '{"a": [1, 2.50, {"b": null}], "big": 12345678901234567890}',
    '{"a": [true, "🙂"], "b": 1}',
    "[]",
    '["a b","c\\"d",null,""]',
    '["1.10","12345678901234567890.5"]',
    '["happy","sad"]',
    bytes(0, 255, 0, 0),
    'tab\there\nnew line\\back\rslash "quoted" \u0001',
    "$1,234.56",
    "101",
    "1",
    "(1.5,-2)",
    "[1,10)",
    '["2024-01-01 00:00:00+00",)',
    "'a' 'cat' 'fat'",
    '<a b="1">x &amp; y</a>',
    "x",
    "some_name",
    "Infinity",
    7,
    '["2024-01-01T21:34:05.123456Z","infinity"]',
    "[true,false,null]",
    '["a  ","b c"]',
    '["\\\\x00ff",null]',
    '[{"a": 1},[true]]',
    '[1.5,"NaN","-Infinity",1e+300]',
    '["9223372036854775807",-1]',
  ],
  [
    2,
    -32768,
    -2147483648,
    "-9223372036854775808",
    "-0.000000000000000000000000000000000000001",
    "-99999999.99",
    "NaN",
    "-Infinity",
    0,
    "",
    "",
    "     ",
    "00000000-0000-0000-0000-000000000000",
    "sad",
    "::1",
    "::/0",
    "00:00:00:00:00:00",
    "0044-03-15 BC",
    "00:00:00",
    "00:00:00-08",
    "-infinity",
    "2024-01-01T04:00:00.500000Z",
    "P-1D",
    "null",
    "[]",
    "[[1,2],[3,null]]",
    "[]",
    "[]",
    "[]",
    bytes(),
    "",
    "-$0.01",
    "000",
    "",
    "(0,0)",
    "empty",
    "(,)",
    "",
    "",
    "",
    "",
    "NaN",
    1,
    ...Array<string>(7).fill("[]"),
  ],
  [3, null, null, 0, ...Array<null>(26 + PG_LATER_COLUMNS).fill(null)],
];

export const MYSQL_SWEEP_COLUMNS = `
  id INT PRIMARY KEY,
  c_bool BOOLEAN, c_tiny TINYINT, c_utiny TINYINT UNSIGNED, c_small SMALLINT, c_medium MEDIUMINT, c_int INT, c_uint INT UNSIGNED,
  c_big BIGINT NOT NULL DEFAULT 0, c_ubig BIGINT UNSIGNED, c_dec DECIMAL(65,30), c_dec40 DECIMAL(40,20), c_float FLOAT, c_double DOUBLE,
  c_date DATE, c_dt DATETIME(6), c_dt0 DATETIME, c_ts TIMESTAMP(6) NULL DEFAULT NULL, c_time TIME(6), c_year YEAR,
  c_char CHAR(5), c_varchar VARCHAR(50), c_text TEXT, c_enum ENUM('a','b'), c_set SET('x','y'), c_json JSON,
  c_binary BINARY(4), c_varbinary VARBINARY(10), c_blob BLOB, c_bit1 BIT(1), c_bit8 BIT(8), c_bit64 BIT(64),
  c_text_esc TEXT, c_time_frac TIME(6),
  KEY by_big_dt (c_big, c_dt)`;

const DEC65 = "12345678901234567890123456789012345.123456789012345678901234567890";
const DEC40 = "12345678901234567890.12345678901234567890";
const JSON_DOC = '{"a": [1, 2.50, {"b": null}], "big": 12345678901234567890}';

const MYSQL_ROW_MAX = `(1, TRUE, 127, 255, 32767, 8388607, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615,
  '${DEC65}', '${DEC40}', 1.1, 1.7976931348623157e308,
  '9999-12-31', '9999-12-31 23:59:59.999999', '2024-02-29 12:00:00', '2024-01-02 03:04:05.123456', '838:59:59', 2155,
  'ab', 'héllo 🙂', '', 'b', 'x,y', '${JSON_DOC}', X'00FF0000', X'000100', X'00', b'1', b'11111111', b'${"1".repeat(64)}',
  'tab\\tnew\\nline "q" back\\\\slash nul\\0end', '-00:00:01.5')`;

const MYSQL_ROW_MIN = `(2, FALSE, -128, 0, -32768, -8388608, -2147483648, 0, -9223372036854775808, 0,
  '-0.000000000000000000000000000001', '-0.00000000000000000001', -1.5, -0.1,
  '0000-00-00', '0000-00-00 00:00:00', '1000-01-01 00:00:00', '2023-12-31 20:00:00.5', '-838:59:59', 1901,
  '', '', '🙂', 'a', '', '[]', X'00', X'', X'', b'0', b'0', b'0',
  '', '00:00:00.000001')`;

/** Every value of the MySQL rows exactly as the connector must return it (text protocol). */
export const MYSQL_SWEEP_EXPECTED: SqliteValue[][] = [
  [
    1,
    1,
    127,
    255,
    32767,
    8388607,
    2147483647,
    4294967295,
    "9223372036854775807",
    "18446744073709551615",
    DEC65,
    DEC40,
    1.1,
    1.7976931348623157e308,
    "9999-12-31",
    "9999-12-31T23:59:59.999999",
    "2024-02-29T12:00:00.000000",
    "2024-01-01T21:34:05.123456Z",
    "838:59:59.000000",
    2155,
    "ab",
    "héllo 🙂",
    "",
    "b",
    "x,y",
    JSON_DOC,
    bytes(0, 255, 0, 0),
    bytes(0, 1, 0),
    bytes(0),
    1,
    255,
    "18446744073709551615",
    'tab\tnew\nline "q" back\\slash nul\u0000end',
    "-00:00:01.500000",
  ],
  [
    2,
    0,
    -128,
    0,
    -32768,
    -8388608,
    -2147483648,
    0,
    "-9223372036854775808",
    "0",
    "-0.000000000000000000000000000001",
    "-0.00000000000000000001",
    -1.5,
    -0.1,
    "0000-00-00",
    "0000-00-00T00:00:00.000000",
    "1000-01-01T00:00:00.000000",
    "2024-01-01T04:00:00.500000Z",
    "-838:59:59.000000",
    1901,
    "",
    "",
    "🙂",
    "a",
    "",
    "[]",
    bytes(0, 0, 0, 0),
    bytes(),
    bytes(),
    0,
    0,
    "0",
    "",
    "00:00:00.000001",
  ],
  [3, ...Array<null>(7).fill(null), 0, ...Array<null>(25).fill(null)],
];

/** The PostgreSQL rows (ids 1 to 3: highs, lows, nulls), as a VALUES list. */
export const PG_SWEEP_ROWS = `${PG_ROW_MAX}, ${PG_ROW_MIN}, ${PG_ROW_NULL}`;

/** Creates the PostgreSQL sweep table with its enum type and its domain, and fills it. */
export async function createPgSweep(conn: SourceConnection, table: string, mood: string): Promise<void> {
  await conn.query(`CREATE TYPE ${mood} AS ENUM ('happy', 'sad')`);
  await conn.query(`CREATE DOMAIN ${mood}_positive AS integer CHECK (VALUE > 0)`);
  await conn.query(`CREATE TABLE ${table} (${pgSweepColumns(mood)})`);
  await conn.query(`INSERT INTO ${table} VALUES ${PG_SWEEP_ROWS}`);
}

/** Drops what createPgSweep made. */
export async function dropPgSweep(conn: SourceConnection, table: string, mood: string): Promise<void> {
  await conn.query(`DROP TABLE IF EXISTS ${table}`);
  await conn.query(`DROP DOMAIN IF EXISTS ${mood}_positive`);
  await conn.query(`DROP TYPE IF EXISTS ${mood}`);
}

/** Creates the MySQL sweep table and fills it: zero dates need a permissive sql_mode; TIMESTAMPs are written in two non-UTC zones. */
export async function createMysqlSweep(conn: SourceConnection, table: string): Promise<void> {
  await conn.query(`CREATE TABLE ${table} (${MYSQL_SWEEP_COLUMNS}) CHARACTER SET utf8mb4`);
  await conn.query("SET SESSION sql_mode = ''");
  await conn.query("SET time_zone = '+05:30'");
  await conn.query(`INSERT INTO ${table} VALUES ${MYSQL_ROW_MAX}`);
  await conn.query("SET time_zone = '-08:00'");
  await conn.query(`INSERT INTO ${table} VALUES ${MYSQL_ROW_MIN}`);
  await conn.query("SET time_zone = '+00:00'");
  await conn.query(`INSERT INTO ${table} (id) VALUES (3)`);
}
