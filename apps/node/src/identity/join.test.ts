import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExitCode, JoinRequest } from "@muster/protocol";
import { loadConfig } from "../config.js";
import { NodeCommandError } from "../errors.js";
import { joinCoordinator, parseJoinArgs } from "./join.js";

const KEY = "mjk_abcdefgh_abcdefghijklmnopqrstuvwx";

interface Reply {
  status: number;
  body: unknown;
}

let server: Server;
let url: string;
let dir: string;
let requests: { path: string; body: unknown }[];
let reply: (req: JoinRequest) => Reply;

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return JSON.parse(text);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "muster-join-"));
  requests = [];
  reply = (req) => ({
    status: 201,
    body: { nodeId: "nod_abc", name: req.name, audience: "muster:test", labels: { ...req.labels, pool: "default" }, capacity: req.capacity },
  });
  server = createServer(async (req, res) => {
    const body = await readJson(req);
    requests.push({ path: req.url ?? "", body });
    const { status, body: out } = reply(JoinRequest.parse(body));
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(out));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

const args = (over: Partial<Parameters<typeof parseJoinArgs>[1]> = {}) =>
  parseJoinArgs(url, { name: "builder-1", key: KEY, label: ["gpu=true"], capacity: "3", config: join(dir, "node.json"), ...over }, {});

async function failure(p: Promise<unknown>): Promise<NodeCommandError> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NodeCommandError);
  return err as NodeCommandError;
}

describe("muster-node join", () => {
  it("registers a fresh public key and writes a 0600 config with the private key", async () => {
    const out = await joinCoordinator(args());
    expect(out).toEqual({
      nodeId: "nod_abc",
      name: "builder-1",
      url,
      configPath: join(dir, "node.json"),
      labels: { gpu: "true", pool: "default" },
      capacity: 3,
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.path).toBe("/v1/nodes/join");
    const sent = JoinRequest.parse(requests[0]!.body);
    expect(sent).toMatchObject({ key: KEY, name: "builder-1", labels: { gpu: "true" }, capacity: 3 });
    expect(sent.publicKey).not.toHaveProperty("d");

    const path = join(dir, "node.json");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const config = await loadConfig(path);
    expect(config).toMatchObject({ url, nodeId: "nod_abc", name: "builder-1", audience: "muster:test", capacity: 3 });
    expect(config.publicKey.x).toBe(sent.publicKey.x);
    expect(config.privateKey.x).toBe(sent.publicKey.x);
    expect(config.agents).toEqual({ presets: {}, disabled: [], limits: {}, custom: {} });
  });

  it("reports the coordinator's error code and message when it refuses, and writes nothing", async () => {
    reply = () => ({ status: 401, body: { error: { code: "join_key_expired", message: "join key expired" } } });
    const err = await failure(joinCoordinator(args()));
    expect(err.exitCode).toBe(ExitCode.failure);
    expect(err.code).toBe("join_key_expired");
    expect(err.message).toBe("join refused: join_key_expired: join key expired");
    await expect(stat(join(dir, "node.json"))).rejects.toThrow(/ENOENT/);
  });

  it("exits 3 when the coordinator cannot be reached", async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.listen(0);
    const err = await failure(joinCoordinator(args()));
    expect(err.exitCode).toBe(ExitCode.unreachable);
    expect(err.message).toMatch(/cannot reach the coordinator at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  it("will not overwrite another node's config without --force, and does not spend the join key", async () => {
    await joinCoordinator(args());
    const err = await failure(joinCoordinator(args({ name: "builder-2" })));
    expect(err.exitCode).toBe(ExitCode.failure);
    expect(err.message).toMatch(/already holds node builder-1 \(nod_abc\).*--force/);
    expect(requests).toHaveLength(1);
    await joinCoordinator(args({ name: "builder-2", force: true }));
    expect((await loadConfig(join(dir, "node.json"))).name).toBe("builder-2");
  });

  it("re-joins the same node in place and keeps the operator's agent settings", async () => {
    await joinCoordinator(args());
    const path = join(dir, "node.json");
    const edited = { ...JSON.parse(await readFile(path, "utf8")), passEnv: ["GITHUB_TOKEN"], agents: { disabled: ["codex"] } };
    await writeFile(path, JSON.stringify(edited));
    await joinCoordinator(args());
    const config = await loadConfig(path);
    expect(config.passEnv).toEqual(["GITHUB_TOKEN"]);
    expect(config.agents.disabled).toEqual(["codex"]);
  });

  it("treats a bad label, capacity, name, url or key as a usage error", () => {
    const usage = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(NodeCommandError);
        return (err as NodeCommandError).exitCode;
      }
      return "no error";
    };
    expect(usage(() => args({ label: ["nolabel"] }))).toBe(ExitCode.usage);
    expect(usage(() => args({ label: ["bad key=v"] }))).toBe(ExitCode.usage);
    expect(usage(() => args({ capacity: "-1" }))).toBe(ExitCode.usage);
    expect(usage(() => args({ capacity: "2.5" }))).toBe(ExitCode.usage);
    expect(usage(() => args({ capacity: "5000" }))).toBe(ExitCode.usage);
    expect(usage(() => args({ name: "no spaces" }))).toBe(ExitCode.usage);
    expect(usage(() => args({ key: "secret" }))).toBe(ExitCode.usage);
    expect(usage(() => parseJoinArgs("ftp://x", { name: "n", key: KEY }, {}))).toBe(ExitCode.usage);
  });

  it("defaults the capacity to the number of CPUs and the config path to the env setting", () => {
    const parsed = parseJoinArgs(url, { name: "n", key: KEY }, { MUSTER_NODE_CONFIG: "/tmp/x/node.json" });
    expect(parsed.capacity).toBeGreaterThanOrEqual(1);
    expect(parsed.configPath).toBe("/tmp/x/node.json");
    expect(parsed.labels).toEqual({});
  });
});
