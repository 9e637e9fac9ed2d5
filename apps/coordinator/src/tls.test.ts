import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTlsPair, TlsError } from "./tls.js";

let dir: string;
const file = (name: string) => join(dir, name);

function selfSigned(name: string): void {
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-keyout", `${name}.key`, "-out", `${name}.crt`, "-subj", `/CN=${name}`],
    { cwd: dir, stdio: "ignore" },
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "muster-tls-pair-"));
  selfSigned("one");
  selfSigned("two");
  await writeFile(file("junk.pem"), "not a certificate\n");
});

afterAll(() => rm(dir, { recursive: true, force: true }));

async function refusal(certPath: string, keyPath: string): Promise<string> {
  const err = await loadTlsPair({ certPath, keyPath }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TlsError);
  return (err as Error).message;
}

describe("loadTlsPair", () => {
  it("reads a certificate and its key, with what the log shows of them", async () => {
    const pair = await loadTlsPair({ certPath: file("one.crt"), keyPath: file("one.key") });
    expect(pair.cert.toString()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(pair.serial).toMatch(/^[0-9A-F]+$/);
    expect(pair.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it("says which file cannot be read", async () => {
    expect(await refusal(file("missing.crt"), file("one.key"))).toBe(`cannot read TLS certificate ${file("missing.crt")}: ENOENT`);
    expect(await refusal(file("one.crt"), file("missing.key"))).toBe(`cannot read TLS key ${file("missing.key")}: ENOENT`);
  });

  it("refuses files that are not PEM", async () => {
    expect(await refusal(file("junk.pem"), file("one.key"))).toBe(`TLS certificate ${file("junk.pem")} is not a PEM certificate`);
    expect(await refusal(file("one.crt"), file("junk.pem"))).toBe(`TLS key ${file("junk.pem")} is not an unencrypted PEM private key`);
  });

  it("refuses a key that is not the certificate's", async () => {
    expect(await refusal(file("one.crt"), file("two.key"))).toBe(`TLS key ${file("two.key")} does not belong to certificate ${file("one.crt")}`);
  });
});
