/** Replaces every occurrence of each secret (and URL-embedded passwords) with `***`. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined | null> = []): string {
  let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^@\s]*)@/gi, "$1***@");
  for (const secret of secrets) {
    if (secret && secret.length >= 3) out = out.split(secret).join("***");
  }
  return out;
}
