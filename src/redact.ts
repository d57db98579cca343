/**
 * Keeping secrets out of answers, logs and stored errors. A connection URL's
 * password may contain unencoded `@`, `/`, `?` or `#`: everything from the
 * `user:` to the last `@` of the URL is treated as the password.
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)(\S*)@/gi;

/** Replaces every occurrence of each secret, and every password inside a URL, with `***`. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined | null> = []): string {
  let out = text.replace(URL_CREDENTIALS, "$1***@");
  for (const secret of secrets) {
    if (secret && secret.length >= 3) out = out.split(secret).join("***");
  }
  return out;
}

/** The password part of a connection URL, as written and percent-decoded (both must be hidden). */
export function urlPasswords(url: string): string[] {
  const match = new RegExp(URL_CREDENTIALS.source, "i").exec(url);
  const raw = match?.[2];
  if (!raw) return [];
  try {
    return [raw, decodeURIComponent(raw)];
  } catch {
    return [raw];
  }
}

/** A user's value quoted for an error message, cut to `max` characters: an echo never carries a whole input. */
export function echo(value: unknown, max = 60): string {
  const text = JSON.stringify(typeof value === "string" ? value : String(value));
  return text.length > max ? `${text.slice(0, max - 2)}…"` : text;
}
