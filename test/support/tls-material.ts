/**
 * Certificates for the TLS tests, made with openssl when the test run starts (Node side).
 *
 * Two CAs, each with a server certificate for `localhost` only (so `127.0.0.1` is a host
 * name the certificate does not list):
 * - `public`: stands for a publicly trusted CA. The test workerd trusts it (see vitest.config.ts).
 * - `private`: stands for a private CA (Amazon RDS's, Supabase's, a self-signed one). The test
 *   workerd does not trust it; only the local Hyperdrive binding knows it (`sslrootcert`).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type CaName = "public" | "private";

export interface TlsMaterial {
  dir: string;
  /** PEM file of each CA's certificate. */
  ca: Record<CaName, string>;
  /** Certificate and key files of the `localhost` server certificate each CA signed. */
  server: Record<CaName, { cert: string; key: string }>;
}

/** The files of the material made in `dir`. */
export function tlsMaterialIn(dir: string): TlsMaterial {
  return {
    dir,
    ca: { public: join(dir, "public-ca.crt"), private: join(dir, "private-ca.crt") },
    server: {
      public: { cert: join(dir, "public-server.crt"), key: join(dir, "public-server.key") },
      private: { cert: join(dir, "private-server.crt"), key: join(dir, "private-server.key") },
    },
  };
}

/** Makes both CAs and their server certificates in a fresh temporary directory (about 50 ms). */
export function makeTlsMaterial(): TlsMaterial {
  const material = tlsMaterialIn(mkdtempSync(join(tmpdir(), "starbase-tls-")));
  const dir = material.dir;
  const serverExtensions = join(dir, "server.ext");
  writeFileSync(
    serverExtensions,
    [
      "basicConstraints = critical, CA:FALSE",
      "keyUsage = critical, digitalSignature, keyEncipherment",
      "extendedKeyUsage = serverAuth",
      "subjectAltName = DNS:localhost",
      "",
    ].join("\n"),
  );
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const caExtensions = "basicConstraints=critical,CA:TRUE keyUsage=critical,keyCertSign,cRLSign".split(" ");
  for (const name of ["public", "private"] as const) {
    const ca = { cert: material.ca[name], key: join(dir, `${name}-ca.key`) };
    const server = material.server[name];
    const request = join(dir, `${name}-server.csr`);
    const caSubject = `/CN=starbase-edge-replica test ${name} CA`;
    const signing = ["-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-days", "7", "-extfile", serverExtensions];
    openssl(
      ["req", "-x509", ...newKey, "-days", "7", "-keyout", ca.key, "-out", ca.cert, "-subj", caSubject].concat(
        addext(caExtensions),
      ),
    );
    openssl(["req", "-new", ...newKey, "-keyout", server.key, "-out", request, "-subj", "/CN=localhost"]);
    openssl(["x509", "-req", "-in", request, "-out", server.cert, ...signing]);
  }
  return material;
}

export function removeTlsMaterial(material: TlsMaterial): void {
  rmSync(material.dir, { recursive: true, force: true });
}

function addext(extensions: string[]): string[] {
  return extensions.flatMap((extension) => ["-addext", extension]);
}

function openssl(args: string[]): void {
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`openssl ${args[0]} failed (the TLS tests need openssl on PATH): ${stderr || String(error)}`);
  }
}
