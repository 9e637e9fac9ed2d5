// Certificates made at test time with the openssl binary: a private CA and server certificates it signs. Nothing
// here is committed; every run makes its own keys in a temporary directory.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ServerCert {
  cert: string;
  key: string;
  /** As node:crypto prints it (upper-case hex), to compare with what a client sees. */
  serial: string;
  fingerprint256: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** A CA certificate and key under `dir` (`<name>.crt`, `<name>.key`). */
export function makeCa(dir: string, name = "ca"): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  openssl(dir, [
    "req", "-x509", ...EC_KEY, "-keyout", key, "-out", cert, "-days", "2", "-subj", `/CN=Muster test ${name}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return { cert, key };
}

/** A server certificate for `altNames` (e.g. `IP:127.0.0.1,DNS:localhost`) signed by `ca`, or self-signed without one. */
export function makeServerCert(dir: string, name: string, altNames: string, ca?: { cert: string; key: string }): ServerCert {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=${altNames}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  if (ca) {
    const csr = join(dir, `${name}.csr`);
    openssl(dir, ["req", ...EC_KEY, "-keyout", key, "-out", csr, "-subj", `/CN=${name}`]);
    openssl(dir, [
      "x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert,
    ]);
  } else {
    openssl(dir, ["req", "-x509", ...EC_KEY, "-keyout", key, "-out", cert, "-days", "2", "-subj", `/CN=${name}`, "-addext", `subjectAltName=${altNames}`]);
  }
  const x509 = new X509Certificate(readFileSync(cert));
  return { cert, key, serial: x509.serialNumber, fingerprint256: x509.fingerprint256 };
}
