/**
 * Errors are values with meaning: one class per kind of failure, each mapped to
 * an HTTP status in exactly one place (`statusOf`). Messages are written for the
 * user and must never contain a secret (see `redact.ts`).
 */
export type ErrorKind =
  | "validation"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "payload_too_large"
  | "source_unavailable"
  | "internal";

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** The request is malformed or names something that does not fit (400). */
export class ValidationError extends AppError {
  constructor(message: string) {
    super("validation", message);
  }
}

/** No credentials, or credentials that match no role (401). */
export class UnauthorizedError extends AppError {
  constructor(message = "missing or invalid Authorization bearer token") {
    super("unauthorized", message);
  }
}

/** A known role that may not do this (403). */
export class ForbiddenError extends AppError {
  constructor(message = "this route requires the admin role") {
    super("forbidden", message);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super("not_found", message);
  }
}

/** The request clashes with current state: a duplicate name, a run already in progress (409). */
export class ConflictError extends AppError {
  constructor(message: string) {
    super("conflict", message);
  }
}

/** The request body is larger than this deployment accepts (413). */
export class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super("payload_too_large", message);
  }
}

/** An external database could not be reached or failed mid-operation (502). */
export class SourceUnavailableError extends AppError {
  constructor(message: string) {
    super("source_unavailable", message);
  }
}

type Status = 400 | 401 | 403 | 404 | 409 | 413 | 500 | 502;

const STATUS: Record<ErrorKind, Status> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  source_unavailable: 502,
  internal: 500,
};

export function statusOf(kind: ErrorKind): Status {
  return STATUS[kind];
}

/** Longest error message answered or stored; beyond it the text is cut (it may echo a huge input). */
export const MAX_MESSAGE_LENGTH = 1_000;

export function clipMessage(message: string): string {
  return message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : message;
}

/** The plain-data form of an error, safe to send across RPC and to a client. */
export interface ErrorPayload {
  kind: ErrorKind;
  message: string;
}

/** Unknown errors become a generic internal error: their text may hold a stack or a secret. */
export function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof AppError) return { kind: error.kind, message: clipMessage(error.message) };
  return { kind: "internal", message: "internal error" };
}

export function fromErrorPayload(payload: ErrorPayload): AppError {
  return new AppError(payload.kind, payload.message);
}

/** Result of a call into the Durable Object: errors travel as values, not as thrown RPC errors. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorPayload };

export async function capture<T>(work: () => Promise<T> | T): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (!(error instanceof AppError)) console.error("unexpected error", describeUnexpected(error));
    return { ok: false, error: toErrorPayload(error) };
  }
}

export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw fromErrorPayload(outcome.error);
}

function describeUnexpected(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
