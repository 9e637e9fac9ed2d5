import { describe, expect, it } from "vitest";
import { describeTlsFailure } from "./tls.js";

function fetchFailure(code: string, message: string): Error {
  return new TypeError("fetch failed", { cause: Object.assign(new Error(message), { code }) });
}

describe("describeTlsFailure", () => {
  it("says a self-signed certificate needs --ca", () => {
    expect(describeTlsFailure(fetchFailure("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate"), { caGiven: false })).toBe(
      "cannot verify the coordinator's TLS certificate (self-signed certificate; pass --ca FILE to trust a private CA)",
    );
  });

  it("says the given CA did not sign the certificate", () => {
    const err = fetchFailure("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate");
    expect(describeTlsFailure(err, { caGiven: true })).toBe(
      "cannot verify the coordinator's TLS certificate (unable to verify the first certificate; the CA given with --ca did not sign it)",
    );
  });

  it("points at the host name for a certificate of another host", () => {
    const err = Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: "ERR_TLS_CERT_ALTNAME_INVALID" });
    expect(describeTlsFailure(err, { caGiven: true })).toMatch(/\(Hostname\/IP does not match .*; use the host name the certificate was issued for\)$/);
  });

  it("finds the failure inside an AggregateError", () => {
    const err = new TypeError("fetch failed", { cause: new AggregateError([fetchFailure("CERT_HAS_EXPIRED", "certificate has expired")]) });
    expect(describeTlsFailure(err, { caGiven: false })).toBe(
      "cannot verify the coordinator's TLS certificate (certificate has expired; the coordinator needs a valid certificate)",
    );
  });

  it("is null for errors that are not about the certificate", () => {
    expect(describeTlsFailure(fetchFailure("ECONNREFUSED", "connect ECONNREFUSED"), { caGiven: false })).toBeNull();
    expect(describeTlsFailure("boom", { caGiven: false })).toBeNull();
  });
});
