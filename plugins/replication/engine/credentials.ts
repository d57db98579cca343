/**
 * Source credentials at rest: a job's source settings that hold a password (or
 * a URL with one) are stored sealed with AES-256-GCM, under a key derived (HKDF)
 * from the worker secret REPLICATION_ENCRYPTION_KEY. No table holds them in
 * clear text. Rotation: the old secret moves to REPLICATION_ENCRYPTION_KEY_PREVIOUS,
 * which still opens what it sealed, and the engine re-seals under the new key at start.
 */
import { AppError, ValidationError } from "../../../src/errors";
import { parseWith } from "../../../src/validation";
import { type SourceSettings, sourceSettings } from "./settings";
import type { BindingLookup } from "./source-config";

export const ENCRYPTION_KEY = "REPLICATION_ENCRYPTION_KEY";
export const PREVIOUS_ENCRYPTION_KEY = "REPLICATION_ENCRYPTION_KEY_PREVIOUS";
export const MIN_SECRET_LENGTH = 32;

const FORMAT = "v1";
const encoder = new TextEncoder();
// Binds a sealed value to what it is: it cannot be moved into another kind of field.
const ADDITIONAL_DATA = encoder.encode("starbase-replication/source-settings/v1");

interface SealingKey {
  /** First 8 hex digits of the secret's SHA-256: names the key in sealed values and job views. */
  id: string;
  key: CryptoKey;
}

export class Credentials {
  private readonly derived = new Map<string, Promise<SealingKey>>();

  constructor(private readonly binding: BindingLookup) {}

  /** The id of the key new values are sealed with, or null when no key is configured. */
  async currentKeyId(): Promise<string | null> {
    return (await this.key(ENCRYPTION_KEY))?.id ?? null;
  }

  /** Seals settings that hold a secret; a 400 naming the secret to set when no key is configured. */
  async seal(settings: SourceSettings): Promise<string> {
    const current = await this.key(ENCRYPTION_KEY);
    if (!current) {
      throw new ValidationError(
        `source: storing a password needs the worker secret ${ENCRYPTION_KEY} (at least ${MIN_SECRET_LENGTH} random characters; ` +
          `npx wrangler secret put ${ENCRYPTION_KEY}), or give the connection URL as a worker secret with source.secret`,
      );
    }
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plain = encoder.encode(JSON.stringify(settings));
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: ADDITIONAL_DATA },
      current.key,
      plain,
    );
    return [FORMAT, current.id, base64url(iv), base64url(new Uint8Array(sealed))].join(".");
  }

  /** Opens a sealed value with the current or the previous key, and checks what it holds again. */
  async unseal(sealed: string): Promise<SourceSettings> {
    const [format, keyId, iv, data] = sealed.split(".");
    if (format !== FORMAT || !keyId || !iv || !data) throw unreadable("it is not a sealed value");
    const candidates = [await this.key(ENCRYPTION_KEY), await this.key(PREVIOUS_ENCRYPTION_KEY)];
    const key = candidates.find((k) => k?.id === keyId);
    if (!key) {
      throw unreadable(
        `it was sealed with key ${keyId}, and neither ${ENCRYPTION_KEY} nor ${PREVIOUS_ENCRYPTION_KEY} is that key`,
      );
    }
    let plain: ArrayBuffer;
    try {
      plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: fromBase64url(iv), additionalData: ADDITIONAL_DATA },
        key.key,
        fromBase64url(data),
      );
    } catch {
      throw unreadable("it does not decrypt (altered, or sealed with another key of the same id)");
    }
    return parseWith(sourceSettings, JSON.parse(new TextDecoder().decode(plain)) as unknown);
  }

  /** The key id a sealed value names. */
  static keyIdOf(sealed: string): string | null {
    return sealed.split(".")[1] ?? null;
  }

  private key(name: string): Promise<SealingKey | undefined> {
    const secret = this.binding(name);
    if (typeof secret !== "string" || secret === "") return Promise.resolve(undefined);
    if (secret.length < MIN_SECRET_LENGTH) {
      return Promise.reject(
        new AppError(
          "internal",
          `${name} must be at least ${MIN_SECRET_LENGTH} characters: set a longer random secret`,
        ),
      );
    }
    let key = this.derived.get(secret);
    if (!key) {
      key = deriveKey(secret);
      this.derived.set(secret, key);
    }
    return key;
  }
}

async function deriveKey(secret: string): Promise<SealingKey> {
  const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
  const key = await crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: encoder.encode("starbase-replication"),
      info: encoder.encode("credentials/v1"),
    },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(secret)));
  const id = [...digest.slice(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { id, key };
}

function unreadable(why: string): AppError {
  return new AppError(
    "internal",
    `stored source credentials cannot be read: ${why}. Restore the key, or give the job its source again (PATCH source)`,
  );
}

function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
