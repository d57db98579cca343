/** SQLite's message without workerd's result-code suffix (`: SQLITE_CONSTRAINT (extended: ...)`). */
export function sqliteMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/: SQLITE_[A-Z_]+(?: \(extended: SQLITE_[A-Z_]+\))?$/, "");
}
