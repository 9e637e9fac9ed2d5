// The one line the CLI and the node print when the coordinator's TLS certificate does not verify.

/** OpenSSL's verdicts that mean "this certificate is not signed by a CA you trust". */
const UNTRUSTED = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "INVALID_CA",
]);

const OTHER = new Set([
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REJECTED",
  "CERT_REVOKED",
  "ERR_TLS_CERT_SIGNATURE_ALGORITHM_UNSUPPORTED",
]);

/** The certificate error somewhere in a fetch/websocket failure's causes, if there is one. */
function certificateError(err: unknown): { code: string; message: string } | null {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length && seen.size < 20) {
    const e = queue.shift();
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const o = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof o.code === "string" && (UNTRUSTED.has(o.code) || OTHER.has(o.code)))
      return { code: o.code, message: typeof o.message === "string" ? o.message : o.code };
    queue.push(o.cause);
    if (Array.isArray(o.errors)) queue.push(...o.errors);
  }
  return null;
}

/**
 * `cannot verify the coordinator's TLS certificate (self-signed certificate; pass --ca FILE to trust a private
 * CA)` when `err` (or one of its causes) is a certificate verification failure; null for any other error.
 */
export function describeTlsFailure(err: unknown, opts: { caGiven: boolean }): string | null {
  const found = certificateError(err);
  if (!found) return null;
  let hint: string;
  if (found.code === "ERR_TLS_CERT_ALTNAME_INVALID") hint = "use the host name the certificate was issued for";
  else if (!UNTRUSTED.has(found.code)) hint = "the coordinator needs a valid certificate";
  else hint = opts.caGiven ? "the CA given with --ca did not sign it" : "pass --ca FILE to trust a private CA";
  return `cannot verify the coordinator's TLS certificate (${found.message}; ${hint})`;
}
