/** An SQLite identifier, double-quoted (a quote inside doubled), safe to put in SQL text. */
export function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
