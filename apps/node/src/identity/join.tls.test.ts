// `join` against a coordinator that serves HTTPS with a certificate of a private CA made for this test.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "@muster/protocol";
import { loadConfig } from "../config.js";
import { NodeCommandError } from "../errors.js";
import { joinCoordinator, parseJoinArgs } from "./join.js";

const KEY = "mjk_abcdefgh_abcdefghijklmnopqrstuvwx";
const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"];

let dir: string;
let server: Server;
let url: string;

function makeCa(name: string): void {
  execFileSync("openssl", ["req", "-x509", ...EC, "-keyout", `${name}.key`, "-out", `${name}.crt`, "-subj", `/CN=${name}`], { cwd: dir, stdio: "ignore" });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "muster-join-tls-"));
  makeCa("ca");
  makeCa("other-ca");
  await writeFile(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\n");
  execFileSync("openssl", ["req", ...EC.slice(0, -2), "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=coordinator"], { cwd: dir, stdio: "ignore" });
  execFileSync(
    "openssl",
    ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", "server.ext", "-out", "server.crt"],
    { cwd: dir, stdio: "ignore" },
  );
  const [cert, key] = await Promise.all([readFile(join(dir, "server.crt")), readFile(join(dir, "server.key"))]);
  server = createServer({ cert, key }, async (req, res) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    const body = JSON.parse(text) as { name: string; capacity: number };
    res.writeHead(201, { "content-type": "application/json" });
    res.end(JSON.stringify({ nodeId: "nod_tls", name: body.name, audience: "muster:test", labels: {}, capacity: body.capacity }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

const args = (ca: string | undefined, config = "node.json") =>
  parseJoinArgs(url, { name: "secure-1", key: KEY, config: join(dir, config), ...(ca ? { ca: join(dir, ca) } : {}) }, {});

async function failure(p: Promise<unknown>): Promise<NodeCommandError> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NodeCommandError);
  return err as NodeCommandError;
}

describe("muster-node join over TLS", () => {
  it("trusts the private CA given with --ca and keeps its path for start", async () => {
    await joinCoordinator(args("ca.crt"));
    const config = await loadConfig(join(dir, "node.json"));
    expect(config).toMatchObject({ url, nodeId: "nod_tls", ca: join(dir, "ca.crt") });
  });

  it("refuses a certificate it cannot verify with one line and exit code 3", async () => {
    const err = await failure(joinCoordinator(args(undefined, "plain.json")));
    expect(err.message).toBe(
      "cannot verify the coordinator's TLS certificate (unable to verify the first certificate; pass --ca FILE to trust a private CA)",
    );
    expect(err.exitCode).toBe(ExitCode.unreachable);
    expect(err.code).toBe("tls_unverified");
  });

  it("says when the CA given is not the one that signed the certificate", async () => {
    const err = await failure(joinCoordinator(args("other-ca.crt", "other.json")));
    expect(err.message).toBe(
      "cannot verify the coordinator's TLS certificate (unable to verify the first certificate; the CA given with --ca did not sign it)",
    );
  });

  it("refuses a CA file that is missing or holds no certificate as a usage error", async () => {
    const missing = await failure(joinCoordinator(args("nope.crt", "missing.json")));
    expect(missing.message).toBe(`cannot read the CA file ${join(dir, "nope.crt")}: ENOENT`);
    expect(missing.exitCode).toBe(ExitCode.usage);
    const garbage = await failure(joinCoordinator(args("server.ext", "garbage.json")));
    expect(garbage.message).toBe(`the CA file ${join(dir, "server.ext")} holds no PEM certificate`);
  });

  it("takes MUSTER_CA when --ca is not given, as an absolute path", () => {
    const parsed = parseJoinArgs(url, { name: "secure-2", key: KEY }, { MUSTER_CA: "certs/ca.pem" });
    expect(parsed.ca).toBe(resolve("certs/ca.pem"));
  });
});
