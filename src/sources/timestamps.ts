/**
 * Text-to-text normalisation of date/time values printed by a source.
 *
 * Timestamps are stored as fixed-width ISO 8601 text ("YYYY-MM-DDTHH:MM:SS.ffffff",
 * always six fractional digits) so that text order equals time order in SQLite.
 * Work is done on the digits, never through a JS Date's milliseconds, so
 * microseconds survive. Anything that does not look like an ordinary timestamp
 * (BC dates, `infinity`) is returned unchanged.
 */

const TIMESTAMP = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;
const TIMESTAMP_WITH_OFFSET =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?|Z)$/;

/**
 * Fast paths for what a UTC session prints almost always (4-digit year, `+00`):
 * plain slicing, no captures. Anything else takes the general path below.
 */
const PLAIN_LOCAL = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d{1,6})?$/;
const PLAIN_UTC = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d{1,6})?\+00$/;
const ZEROS = ["", "0", "00", "000", "0000", "00000", "000000"];

/** `text` matched PLAIN_*: date, `T`, time, 6 fractional digits (from `text` up to `end`), then `zone`. */
function plainIso(text: string, end: number, zone: string): string {
  const digits = end > 20 ? end - 20 : 0;
  const fractionText = digits ? text.slice(20, end) : "";
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${fractionText}${ZEROS[6 - digits]}${zone}`;
}

function fraction(digits: string | undefined): string {
  return (digits ?? "").padEnd(6, "0");
}

/** `2024-01-02 03:04:05.5` -> `2024-01-02T03:04:05.500000`; other text unchanged. */
export function isoLocalTimestamp(text: string): string {
  if (PLAIN_LOCAL.test(text)) return plainIso(text, text.length, "");
  const m = TIMESTAMP.exec(text);
  if (!m) return text;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${fraction(m[7])}`;
}

/**
 * A timestamp printed with a UTC offset (`+05:30`, `-08`, `+00`, `Z`) -> the same
 * instant as `YYYY-MM-DDTHH:MM:SS.ffffffZ`. Other text (BC, infinity) unchanged.
 */
export function isoUtcTimestamp(text: string): string {
  if (PLAIN_UTC.test(text)) return plainIso(text, text.length - 3, "Z");
  const m = TIMESTAMP_WITH_OFFSET.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s, frac, sign, oh, om, os] = m;
  const offsetSeconds =
    sign === undefined ? 0 : (sign === "-" ? -1 : 1) * (Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0));
  if (offsetSeconds === 0) return `${y}-${mo}-${d}T${h}:${mi}:${s}.${fraction(frac)}Z`;
  // Shift whole seconds through Date (exact integer arithmetic); the fraction is untouched text.
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s) - offsetSeconds, 0);
  return `${formatYear(date.getUTCFullYear())}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())}T${two(
    date.getUTCHours(),
  )}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}.${fraction(frac)}Z`;
}

/** A UTC timestamp that is not a real instant (MySQL zero dates) keeps its digits and gains the `Z`. */
export function isoUtcLocalDigits(text: string): string {
  return TIMESTAMP.test(text) ? `${isoLocalTimestamp(text)}Z` : text;
}

function two(n: number): string {
  return String(n).padStart(2, "0");
}

function formatYear(year: number): string {
  return String(year).padStart(4, "0");
}

/** `2024-01-02T03:04:05.123456Z` -> `2024-01-02 03:04:05.123456`: the form MySQL/MariaDB accept for DATETIME/TIMESTAMP. */
export function mysqlDateTimeLiteral(iso: string): string {
  return iso.replace(/Z$/, "").replace("T", " ");
}
