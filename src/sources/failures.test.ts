import { describe, expect, it } from "vitest";
import { SourceUnavailableError, ValidationError } from "../errors";
import { connectError, explainTlsFailure } from "./failures";

// The runtime's own words, as measured in workerd (see test/tls-*.test.ts for the real failures).
const OPAQUE = "internal error; reference = mt3j9t7lfmnstjr1fds9apok";

describe("explainTlsFailure", () => {
  it("names both likely causes of an opaque handshake failure, the host name first for an IP address", () => {
    const text = explainTlsFailure(OPAQUE, "127.0.0.1")!;
    expect(text).toMatch(/^the TLS handshake failed/);
    expect(text).toContain("reference mt3j9t7lfmnstjr1fds9apok");
    expect(text).toMatch(
      /\(1\) the server's certificate does not name the host "127\.0\.0\.1".*rarely list IP addresses/,
    );
    expect(text).toMatch(/\(2\) the certificate is signed by a CA the Workers runtime does not trust.*Hyperdrive/);
    expect(text).toContain('for ssl "require" as for "verify-full"');
  });

  it("puts the untrusted CA first for a host name", () => {
    const text = explainTlsFailure(`Error: ${OPAQUE} (HANDSHAKE_SSL_ERROR)`, "db.example.com")!;
    expect(text).toMatch(
      /\(1\) the certificate is signed by a CA .*\(2\) the server's certificate does not name the host "db\.example\.com"/,
    );
    expect(text).not.toContain("IP addresses");
  });

  it.each([
    ["pg", "The server does not support SSL connections"],
    ["mysql2", "Server does not support secure connection (HANDSHAKE_NO_SSL_SUPPORT)"],
  ])("says plainly that the server has no TLS (%s)", (_driver, message) => {
    expect(explainTlsFailure(message, "localhost")).toMatch(/^the server does not accept TLS connections.*"off"/);
  });

  it("leaves other failures alone", () => {
    expect(explainTlsFailure("connect ECONNREFUSED localhost:1", "localhost")).toBeUndefined();
    expect(explainTlsFailure('password authentication failed for user "u"', "localhost")).toBeUndefined();
  });
});

describe("connectError", () => {
  const target = { host: "127.0.0.1", ssl: "verify-full" as const, secrets: ["pw-secret"] };

  it("explains a TLS failure only when TLS was asked for", () => {
    const tls = connectError(new Error(OPAQUE), "could not connect to PostgreSQL at 127.0.0.1:5432/db", target);
    expect(tls).toBeInstanceOf(SourceUnavailableError);
    expect(tls.message).toMatch(/^could not connect to PostgreSQL at 127\.0\.0\.1:5432\/db: the TLS handshake failed/);
    const plain = connectError(new Error(OPAQUE), "could not connect", { ...target, ssl: "off" });
    expect(plain.message).toBe(`could not connect: ${OPAQUE}`);
  });

  it("redacts secrets and passes application errors through", () => {
    expect(connectError(new Error("bad pw-secret"), "ctx", target).message).toBe("ctx: bad ***");
    const own = new ValidationError("mine");
    expect(connectError(own, "ctx", target)).toBe(own);
  });
});
