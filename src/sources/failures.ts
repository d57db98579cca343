/** Turning driver failures into user-safe errors, and bounding waits. */
import { AppError, SourceUnavailableError } from "../errors";
import { redact } from "../redact";
import type { SslMode } from "./types";

/**
 * A driver error -> SourceUnavailableError carrying the server's message
 * (with code/detail when present) and no secret. AppErrors pass through.
 */
export function sourceError(error: unknown, context: string, secrets: readonly string[]): AppError {
  if (error instanceof AppError) return error;
  const message = describe(error);
  return new SourceUnavailableError(redact(`${context}: ${message}`, secrets));
}

/**
 * Like `sourceError`, for a failed connect: when TLS was asked for, a TLS failure
 * is explained (the runtime itself says only "internal error; reference = ...").
 */
export function connectError(
  error: unknown,
  context: string,
  target: { host: string; ssl: SslMode; secrets: readonly string[] },
): AppError {
  if (error instanceof AppError) return error;
  const message = describe(error);
  const explained = target.ssl === "off" ? undefined : explainTlsFailure(message, target.host);
  return new SourceUnavailableError(redact(`${context}: ${explained ?? message}`, target.secrets));
}

/** A runtime error that hides its cause; its reference finds the cause in the runtime's log. */
const OPAQUE = /\binternal error; reference = (\w+)/;
/** What pg and mysql2 say when the server answers the TLS request with "no". */
const NO_TLS = /server does not support (SSL connections|secure connection)/i;

/**
 * The likely causes and fixes of a failed TLS connect, or undefined when the message
 * is not a TLS failure. Pure: the driver's message and the host it connected to.
 */
export function explainTlsFailure(message: string, host: string): string | undefined {
  if (NO_TLS.test(message)) {
    return (
      "the server does not accept TLS connections, and ssl asks for TLS. Enable TLS on the server, " +
      'or set ssl to "off" if the network path to it is private'
    );
  }
  const opaque = OPAQUE.exec(message);
  if (!opaque) return undefined;
  const name =
    `the server's certificate does not name the host "${host}": connect with a host name the certificate lists` +
    (isIpAddress(host) ? " (certificates rarely list IP addresses)" : "");
  const ca =
    "the certificate is signed by a CA the Workers runtime does not trust, such as a private CA " +
    "(Amazon RDS, Supabase and self-signed certificates use one): connect through Hyperdrive, which can " +
    "verify a private CA, or give the server a certificate from a public CA (in local development, start " +
    "wrangler with NODE_EXTRA_CA_CERTS=/path/to/ca.pem)";
  // An IP address is the likelier culprit; for a host name, an untrusted CA is.
  const causes = isIpAddress(host) ? [name, ca] : [ca, name];
  return (
    `the TLS handshake failed and the Workers runtime does not say why (runtime reference ${opaque[1]}; ` +
    "in local development its log shows the reason). " +
    `Likely causes: ${causes.map((cause, i) => `(${i + 1}) ${cause}`).join("; ")}. ` +
    'Workers always verify the certificate chain and host name, for ssl "require" as for "verify-full"'
  );
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const fields = error as Error & { code?: unknown; detail?: unknown; errors?: unknown };
  // AggregateError (e.g. connection refused on every resolved address) has an empty message.
  const inner = Array.isArray(fields.errors) ? fields.errors.map(describe).join("; ") : "";
  let text = error.message || inner || error.name;
  if (typeof fields.code === "string" && fields.code !== "" && !text.includes(fields.code)) text += ` (${fields.code})`;
  if (typeof fields.detail === "string" && fields.detail !== "") text += ` — ${fields.detail}`;
  return text;
}

/**
 * Resolves like `work`, or rejects with `onTimeout()` after `ms` and runs
 * `abandon` (which must tear the connection down: the driver may still be
 * blocked on it). The timer never outlives the race.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => Error,
  abandon: () => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      abandon();
      reject(onTimeout());
    }, ms);
  });
  // If the deadline wins, `work` may still reject later: keep that from being unhandled.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
