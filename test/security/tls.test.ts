// TLS with real processes: a coordinator serving HTTPS and WSS with a certificate of a private CA made for this run,
// a node that joins and runs a task over it, the CLI, certificate reloads on SIGHUP, and the console cookie's Secure
// flag directly over TLS and behind a trusted proxy.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:tls";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, joinNode, runBin, startNode, tempDir, type NodeHandle } from "../harness/fleet.js";
import { BIN } from "../harness/paths.js";
import { disposeCoordinator, eventually, spawnProc, startCoordinator, startCoordinatorAgain, type CoordinatorHandle } from "../harness/processes.js";
import { makeCa, makeServerCert, type ServerCert } from "./tls-certs.js";

const UNTRUSTED =
  "cannot verify the coordinator's TLS certificate (unable to verify the first certificate; pass --ca FILE to trust a private CA)";

/** The certificate a new TLS connection to `url` is served. */
function servedFingerprint(url: string, ca: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    // Only which certificate is served matters here, not whether it names this host.
    const socket = connect({ host: u.hostname, port: Number(u.port), ca: readFileSync(ca), checkServerIdentity: () => undefined }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on("error", reject);
  });
}

/** Signs in to the console and returns the session cookie's Set-Cookie header. */
function signIn(url: string, token: string, opts: { ca?: string; headers?: Record<string, string> } = {}): Promise<string> {
  const u = new URL(url);
  const body = JSON.stringify({ token });
  const send = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: u.hostname,
        port: u.port,
        path: "/v1/session",
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...opts.headers },
        ...(opts.ca ? { ca: readFileSync(opts.ca) } : {}),
      },
      (res) => {
        res.resume();
        const cookie = res.headers["set-cookie"]?.[0];
        if (res.statusCode !== 200 || !cookie) reject(new Error(`sign-in answered ${res.statusCode}`));
        else resolve(cookie);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const hasSecure = (cookie: string) => cookie.split(";").some((part) => part.trim().toLowerCase() === "secure");

describe("a coordinator serving HTTPS and WSS", () => {
  let c: CoordinatorHandle;
  let dir: ReturnType<typeof tempDir>;
  let ca: { cert: string; key: string };
  let first: ServerCert;
  const live = { cert: "", key: "" };
  const nodes: NodeHandle[] = [];

  /** The CLI as a person on another machine runs it: URL and token in the environment, the CA as asked. */
  const cli = (args: string[], env: Record<string, string> = {}) => runBin(BIN.cli, args, { ...cliEnv(c, dir.path), ...env });
  /** Submits `echo <text>` and waits for it to succeed; the task's id. */
  const runTask = async (text: string) => {
    const submitted = await cli(["submit", "--agent", "exec", "--", "echo", text], { MUSTER_CA: ca.cert });
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = submitted.stdout.trim();
    await eventually(async () => {
      const task = JSON.parse((await cli(["task", id, "--json"], { MUSTER_CA: ca.cert })).stdout) as { state: string };
      if (task.state === "failed" || task.state === "cancelled") throw new Error(`task ${id} ended ${task.state}`);
      return task.state === "succeeded" ? true : undefined;
    }, 30_000, `task ${id} to succeed`);
    return id;
  };
  const serve = (cert: { cert: string; key: string }) => {
    copyFileSync(cert.cert, live.cert);
    copyFileSync(cert.key, live.key);
  };

  beforeAll(async () => {
    dir = tempDir("muster-tls-");
    ca = makeCa(dir.path);
    first = makeServerCert(dir.path, "first", "IP:127.0.0.1,DNS:localhost", ca);
    live.cert = join(dir.path, "live.crt");
    live.key = join(dir.path, "live.key");
    serve(first);
    c = await startCoordinator("pglite", { MUSTER_TLS_CERT: live.cert, MUSTER_TLS_KEY: live.key });
  });

  afterAll(async () => {
    for (const n of nodes) await n.proc.stop("SIGKILL");
    if (c) await disposeCoordinator(c);
    dir?.remove();
  });

  it("says https in the URL it prints and serves the certificate it was given", async () => {
    expect(c.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await servedFingerprint(c.url, ca.cert)).toBe(first.fingerprint256);
  });

  it("answers the CLI with --ca or MUSTER_CA, and without it the CLI refuses with one line and exit code 3", async () => {
    const withFlag = await cli(["--ca", ca.cert, "status", "--json"]);
    expect(withFlag.code, withFlag.stderr).toBe(0);
    expect(JSON.parse(withFlag.stdout).coordinator).toBeDefined();
    expect((await cli(["status"], { MUSTER_CA: ca.cert })).code).toBe(0);
    const without = await cli(["status"]);
    expect(without.code).toBe(3);
    expect(without.stderr).toBe(`muster: ${UNTRUSTED}\n`);
  });

  it("joins a node with --ca and runs a task over WSS; start trusts the CA kept at join", { timeout: 120_000 }, async () => {
    const created = await cli(["join-keys", "create", "--uses", "2", "--json"], { MUSTER_CA: ca.cert });
    expect(created.code, created.stderr).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: string };

    const refused = await runBin(BIN.node, ["join", c.url, "--name", "plain", "--key", key, "--config", join(dir.path, "plain.json")], {
      HOME: dir.path,
    });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toBe(`muster-node: ${UNTRUSTED}\n`);

    const joined = await joinNode(c, dir.path, key, "secure", { env: { MUSTER_CA: ca.cert } });
    expect(JSON.parse(readFileSync(joined.config, "utf8")).ca).toBe(ca.cert);
    nodes.push(startNode(joined));
    await eventually(async () => {
      const s = JSON.parse((await cli(["status", "--json"], { MUSTER_CA: ca.cert })).stdout);
      return s.nodes.some((n: { name: string; state: string }) => n.name === "secure" && n.state === "ready") ? true : undefined;
    }, 30_000, "the node to be ready over WSS");

    const id = await runTask("over-tls");
    const logs = await cli(["logs", id], { MUSTER_CA: ca.cert });
    expect(logs.stdout).toBe("over-tls\n");
  });

  it("stops a node whose config lost its CA with one line and exit code 3, before it ever connects", async () => {
    const config = JSON.parse(readFileSync(join(dir.path, "secure.json"), "utf8")) as Record<string, unknown>;
    delete config.ca;
    const path = join(dir.path, "no-ca.json");
    writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
    const proc = spawnProc("no-ca", [BIN.node, "start", "--config", path], { MUSTER_NODE_DATA_DIR: join(dir.path, "no-ca-data") });
    const exit = await proc.exited;
    expect(exit.code).toBe(3);
    expect(proc.lines).toContain(`muster-node: ${UNTRUSTED}`);
  });

  it("reloads the certificate on SIGHUP, refuses a certificate for another host, and keeps the old pair when the new one is bad", { timeout: 120_000 }, async () => {
    const wrongHost = makeServerCert(dir.path, "wrong-host", "DNS:wrong.example", ca);
    serve(wrongHost);
    c.proc.child.kill("SIGHUP");
    await eventually(async () => ((await servedFingerprint(c.url, ca.cert)) === wrongHost.fingerprint256 ? true : undefined), 20_000, "the reloaded certificate");
    const refused = await cli(["status"], { MUSTER_CA: ca.cert });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(
      /^muster: cannot verify the coordinator's TLS certificate \(Hostname\/IP does not match certificate's altnames: .*; use the host name the certificate was issued for\)\n$/,
    );

    const second = makeServerCert(dir.path, "second", "IP:127.0.0.1,DNS:localhost", ca);
    serve(second);
    c.proc.child.kill("SIGHUP");
    await eventually(async () => ((await servedFingerprint(c.url, ca.cert)) === second.fingerprint256 ? true : undefined), 20_000, "the second certificate");
    expect((await cli(["status"], { MUSTER_CA: ca.cert })).code).toBe(0);

    // A key that is not the certificate's: the reload is refused and the second certificate stays.
    copyFileSync(first.key, live.key);
    const before = c.proc.lines.filter((l) => l.includes("TLS reload refused")).length;
    c.proc.child.kill("SIGHUP");
    await eventually(() => (c.proc.lines.filter((l) => l.includes("TLS reload refused")).length > before ? true : undefined));
    expect(await servedFingerprint(c.url, ca.cert)).toBe(second.fingerprint256);
    // The node's socket, opened under the first certificate, still carries work.
    await runTask("after-reload");
  });

  it("makes the console's session cookie Secure over HTTPS", async () => {
    expect(hasSecure(await signIn(c.url, c.token, { ca: ca.cert }))).toBe(true);
  });
});

describe("a coordinator behind a TLS-terminating proxy", () => {
  let c: CoordinatorHandle;
  const forwarded = { "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7" };

  beforeAll(async () => {
    c = await startCoordinator("pglite");
  });

  afterAll(async () => {
    if (c) await disposeCoordinator(c);
  });

  it("ignores X-Forwarded-Proto without --trust-proxy", async () => {
    expect(c.url).toMatch(/^http:\/\//);
    expect(hasSecure(await signIn(c.url, c.token, { headers: forwarded }))).toBe(false);
  });

  it("with --trust-proxy makes the cookie Secure when the proxy says the request came over HTTPS", async () => {
    c = await startCoordinatorAgain(c, { MUSTER_TRUST_PROXY: "true" });
    expect(hasSecure(await signIn(c.url, c.token, { headers: forwarded }))).toBe(true);
    expect(hasSecure(await signIn(c.url, c.token, { headers: { "x-forwarded-proto": "http" } }))).toBe(false);
    expect(hasSecure(await signIn(c.url, c.token))).toBe(false);
  });
});
