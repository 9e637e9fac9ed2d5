// The CLI against a coordinator stand-in that serves HTTPS with a certificate of a private CA made for this test.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeIo } from "./_testing/fake-io.js";
import { runCli } from "./cli.js";
import { ApiClient, trustingFetch } from "./client.js";
import { readSse } from "./sse.js";
import { readConfigFile, resolveConfig } from "./config.js";

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
const TOKEN = "mat_abcdefgh_0123456789abcdefghij";

let dir: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "muster-cli-tls-"));
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  run(["req", "-x509", ...EC, "-days", "1", "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=test ca"]);
  await writeFile(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\n");
  run(["req", ...EC, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=coordinator"]);
  run(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", "server.ext", "-out", "server.crt"]);
  const [cert, key] = await Promise.all([readFile(join(dir, "server.crt")), readFile(join(dir, "server.key"))]);
  server = createServer({ cert, key }, (req, res) => {
    if (req.url?.startsWith("/v1/stream")) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      return void res.end("event: line\ndata: over-tls\n\n");
    }
    res.writeHead(req.url === "/v1/whoami" ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify({ tokenId: "tok_01JB0000000000000000000000", name: "admin", role: "admin" }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

describe("muster over TLS", () => {
  it("signs in with --ca and keeps the CA for later commands", async () => {
    const io = fakeIo({ cwd: dir, home: dir, env: { MUSTER_CLI_CONFIG: join(dir, "cli.json") } });
    expect(await runCli(["--ca", "ca.crt", "login", url, "--token", TOKEN], io)).toBe(0);
    expect(io.out()).toContain(`signed in to ${url} as admin (admin)`);
    expect(await readConfigFile(join(dir, "cli.json"))).toEqual({ url, token: TOKEN, ca: join(dir, "ca.crt") });

    const later = fakeIo({ cwd: "/", home: dir, env: { MUSTER_CLI_CONFIG: join(dir, "cli.json") } });
    expect(await runCli(["login", url, "--token", TOKEN], { ...later, env: { ...later.env, MUSTER_CA: join(dir, "ca.crt") } })).toBe(0);
  });

  it("reads an event stream over TLS with the CA", async () => {
    const client = new ApiClient({ url, fetch: await trustingFetch(globalThis.fetch, join(dir, "ca.crt")), caGiven: true });
    const events = [];
    for await (const ev of readSse(await client.stream("/v1/stream", {}))) events.push(ev);
    expect(events).toEqual([{ event: "line", id: undefined, data: "over-tls" }]);
  });

  it("refuses a certificate it cannot verify with one line and exit code 3", async () => {
    const io = fakeIo({ cwd: dir, home: dir, env: { MUSTER_CLI_CONFIG: join(dir, "none.json") } });
    expect(await runCli(["login", url, "--token", TOKEN], io)).toBe(3);
    expect(io.err()).toBe(
      "muster: cannot verify the coordinator's TLS certificate (unable to verify the first certificate; pass --ca FILE to trust a private CA)\n",
    );
  });

  it("refuses a CA file that cannot be read as a usage error", async () => {
    const io = fakeIo({ cwd: dir, home: dir, env: { MUSTER_CLI_CONFIG: join(dir, "none.json") } });
    expect(await runCli(["--ca", "missing.crt", "login", url, "--token", TOKEN], io)).toBe(2);
    expect(io.err()).toBe(`muster: cannot read the CA file ${join(dir, "missing.crt")}: ENOENT\n`);
  });

  it("takes --ca over MUSTER_CA over the stored CA", async () => {
    await writeFile(join(dir, "stored.json"), JSON.stringify({ url, token: TOKEN, ca: "/etc/stored.pem" }));
    const src = { cwd: "/work", home: dir, configFlag: join(dir, "stored.json") };
    expect((await resolveConfig({ ...src, env: {} })).ca).toBe("/etc/stored.pem");
    expect((await resolveConfig({ ...src, env: { MUSTER_CA: "env.pem" } })).ca).toBe("/work/env.pem");
    expect((await resolveConfig({ ...src, env: { MUSTER_CA: "env.pem" }, caFlag: "flag.pem" })).ca).toBe("/work/flag.pem");
  });
});
