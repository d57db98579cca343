// Which form field a server validation message is about (no DOM). Messages start with the
// field's path ("source.host: ...", "batch_size must ...") or name it ("choose another
// target_table"); several problems are joined with "; ".

export interface FieldError {
  /** A field's name in the form (e.g. "source.host"), "source" for the source as a whole, or null for the form. */
  field: string | null;
  message: string;
}

/** Messages that name no field but are plainly about one. */
const HINTS: ReadonlyArray<[RegExp, string]> = [
  [/^table \S+ not found/i, "table_name"],
  [/has no primary key/i, "primary_key"],
  [/^a replication job named /i, "name"],
  [/^source check failed|connection URL|^source config/i, "source"],
];

export function fieldErrors(message: string, fields: readonly string[]): FieldError[] {
  const known = new Set(fields);
  const groups: FieldError[] = [];
  for (const part of message.split("; ")) {
    const field = fieldOf(part, known);
    const last = groups[groups.length - 1];
    // A part naming no field continues the one before it ("columns must include ...; missing: id").
    if (field === null && last) last.message += `; ${part}`;
    // Beside its field, "batch_size: batch_size must be ..." needs no path in front.
    else groups.push({ field, message: field === null ? part : part.replace(PATH_PREFIX, "") });
  }
  // One entry per field, in the order first seen.
  const merged: FieldError[] = [];
  for (const group of groups) {
    const same = merged.find((m) => m.field === group.field);
    if (same) same.message += `; ${group.message}`;
    else merged.push({ ...group });
  }
  return merged;
}

/** A zod issue path in front of its message: "source.port: ...", "columns[1]: ...". */
const PATH_PREFIX = /^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?:\[\d+\])*(?:\.\w+)*: /;

function fieldOf(part: string, known: ReadonlySet<string>): string | null {
  const path = PATH_PREFIX.exec(part);
  if (path) return closest(path[1]!, known);
  // "tracking_col \"x\" is not a column of ...", "batch_size must be ..."
  const lead = /^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?:\[\d+\])?(?=[\s"':,]|$)/.exec(part);
  if (lead && known.has(lead[1]!)) return lead[1]!;
  for (const [pattern, field] of HINTS) if (pattern.test(part)) return known.has(field) ? field : null;
  // "... choose another target_table": a field name with _ or . anywhere (a bare "name" is too common a word).
  for (const word of part.match(/[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[A-Za-z]+_\w+/g) ?? []) {
    if (known.has(word)) return word;
  }
  return null;
}

/** "source.port" if the form has it, else "source" for an unknown source field, else null. */
function closest(path: string, known: ReadonlySet<string>): string | null {
  if (known.has(path)) return path;
  const head = path.split(".")[0]!;
  return known.has(head) ? head : null;
}
