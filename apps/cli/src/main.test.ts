// Runs the built `bin/muster.js` in a child process against an in-test coordinator, to prove what a
// shell sees: exit codes, and errors as exactly one stderr line.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorBody, type FakeCoordinator, json, startFakeCoordinator } from "./_testing/fake-coordinator.js";
import { status, taskDetail, taskView } from "./_testing/fixtures.js";
import { startFakeNode } from "./_testing/fake-node.js";

const APP = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(APP, "bin", "muster.js");
const TOKEN = "mat_abcdefgh_secretsecretsecretsecret";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[], env: Record<string, string>, cwd = APP): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { PATH: process.env.PATH ?? "", ...env }, cwd, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let fake: FakeCoordinator;
let home: string;
// Run from the temporary home: a dev fleet's ./.muster/cli.json in the repository (npm start) must not count.
const muster = (args: string[], env: Record<string, string> = {}) =>
  exec(process.execPath, [BIN, ...args], { HOME: home, NO_COLOR: "1", MUSTER_URL: fake.url, MUSTER_TOKEN: TOKEN, ...env }, home);

beforeAll(async () => {
  // Build what the bin imports, so this proves the shipped files and not the sources.
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const build = await exec(process.execPath, [tsc, "-p", join(APP, "tsconfig.build.json")], {});
  expect(build.stdout + build.stderr).toBe("");
  home = await mkdtemp(join(tmpdir(), "muster-bin-"));
  fake = await startFakeCoordinator({
    "GET /v1/status": { body: status() },
    "GET /v1/nodes": { status: 401, body: errorBody("unauthorized", "invalid or revoked token") },
    "GET /v1/join-keys": { status: 500, body: errorBody("internal", "database is on fire") },
    "POST /v1/tasks": (req, res) => json(res, 201, taskView({ ...(req.body as object), id: "tsk_bin" })),
    "GET /v1/tasks/tsk_bin": { body: taskDetail({ id: "tsk_bin", state: "failed", exitCode: 7 }) },
  });
}, 60_000);
afterAll(async () => {
  await fake?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe("bin/muster.js", () => {
  it("exits 0 and prints the status table", async () => {
    const r = await muster(["status"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toContain("gpu-1  ready  gpu=true,zone=a");
  });

  it("exits 2 with one line for bad usage", async () => {
    expect(await muster(["status", "--nope"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "muster: unknown option '--nope' (see muster status --help)\n",
    });
  });

  it("exits 3 with ECONNREFUSED when nothing listens", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    expect(await muster(["status"], { MUSTER_URL: url })).toEqual({
      code: 3,
      stdout: "",
      stderr: `muster: cannot reach coordinator at ${url}: ECONNREFUSED\n`,
    });
  });

  it("exits 4 when not signed in and when the token is refused, never echoing it", async () => {
    const none = await muster(["status"], { MUSTER_TOKEN: "" });
    expect(none.code).toBe(4);
    expect(none.stderr).toBe("muster: not signed in: run muster login <url> --token <token> (or set MUSTER_URL and MUSTER_TOKEN)\n");
    const refused = await muster(["nodes"]);
    expect(refused).toEqual({ code: 4, stdout: "", stderr: "muster: invalid or revoked token [unauthorized]\n" });
  });

  it("exits 1 with the server's code for an API error", async () => {
    expect(await muster(["join-keys", "ls"])).toEqual({ code: 1, stdout: "", stderr: "muster: database is on fire [internal]\n" });
  });

  it("submit prints the id alone, and --wait exits 1 when the task fails", async () => {
    expect(await muster(["submit", "--", "echo", "hi"])).toEqual({ code: 0, stdout: "tsk_bin\n", stderr: "" });
    expect(await muster(["submit", "--wait", "--", "false"])).toEqual({
      code: 1,
      stdout: "tsk_bin\n",
      stderr: "tsk_bin failed: exit code 7\n",
    });
  });

  it("prints help and exits 0", async () => {
    const r = await muster(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: muster [options] [command]");
  });
});

describe("bin/muster.js inside a worker", () => {
  it("muster ask blocks until the node answers, then prints only the answer", async () => {
    const node = await startFakeNode();
    try {
      const run = muster(["ask", "ok?", "--options", "yes,no"], node.env);
      const req = await node.request(0, 15_000);
      expect(req.body).toMatchObject({ op: "ask", question: "ok?", options: ["yes", "no"] });
      req.reply({ op: "answer", askId: "ask_1", answer: "yes", answeredBy: "ana" });
      expect(await run).toEqual({ code: 0, stdout: "yes\n", stderr: "" });
    } finally {
      await node.close();
    }
  });

  it("muster ask exits 2 outside a worker", async () => {
    expect(await muster(["ask", "ok?"])).toEqual({ code: 2, stdout: "", stderr: "muster: muster ask runs inside a Muster worker\n" });
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
