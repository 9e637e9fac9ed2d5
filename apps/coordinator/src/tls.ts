// The coordinator's TLS certificate and key: read and checked before anything listens, read again on SIGHUP so a
// renewed certificate takes effect without a restart (a bad new pair is refused and the old one kept).
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Server as HttpsServer } from "node:https";
import type { Logger } from "./log.js";

/** A certificate or key that cannot be used; the message is the one line an operator sees. */
export class TlsError extends Error {
  override name = "TlsError";
}

export interface TlsFiles {
  certPath: string;
  keyPath: string;
}

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
  /** For the log: which certificate is being served. */
  serial: string;
  fingerprint256: string;
  validTo: string;
}

async function read(what: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TlsError(`cannot read TLS ${what} ${path}: ${code ?? (err as Error).message}`);
  }
}

/** Reads the pair and checks that the certificate parses, the key parses and the key belongs to the certificate. */
export async function loadTlsPair({ certPath, keyPath }: TlsFiles): Promise<TlsPair> {
  const [cert, key] = await Promise.all([read("certificate", certPath), read("key", keyPath)]);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new TlsError(`TLS certificate ${certPath} is not a PEM certificate`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsError(`TLS key ${keyPath} is not an unencrypted PEM private key`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new TlsError(`TLS key ${keyPath} does not belong to certificate ${certPath}`);
  return { cert, key, serial: x509.serialNumber, fingerprint256: x509.fingerprint256, validTo: x509.validTo };
}

function describe(pair: TlsPair) {
  return { serial: pair.serial, fingerprint256: pair.fingerprint256, validTo: pair.validTo };
}

/** Serves a new pair on new connections when the files change; connections already open keep theirs. */
export class TlsReloader {
  constructor(
    private readonly files: TlsFiles,
    private readonly server: HttpsServer,
    private readonly log: Logger,
  ) {}

  logServing(pair: TlsPair): void {
    this.log.info({ ...describe(pair), cert: this.files.certPath }, "serving TLS certificate");
    this.warnIfExpired(pair);
  }

  /** Served anyway (a renewal may be on its way), but every client will refuse it until then. */
  private warnIfExpired(pair: TlsPair): void {
    if (Date.parse(pair.validTo) <= Date.now())
      this.log.warn({ validTo: pair.validTo, cert: this.files.certPath }, "TLS certificate has expired; clients will refuse it");
  }

  /** True when the new pair is in use; false when it was refused and the old one stays. */
  async reload(): Promise<boolean> {
    let pair: TlsPair;
    try {
      pair = await loadTlsPair(this.files);
      this.server.setSecureContext({ cert: pair.cert, key: pair.key });
    } catch (err) {
      const reason = err instanceof TlsError ? err.message : (err as Error).message;
      this.log.error({ reason, cert: this.files.certPath, key: this.files.keyPath }, "TLS reload refused; keeping the old certificate");
      return false;
    }
    this.log.info({ ...describe(pair), cert: this.files.certPath }, "TLS certificate reloaded");
    this.warnIfExpired(pair);
    return true;
  }
}
