import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { AgentCatalog } from "../agents/catalog.js";
import { AgentsConfig } from "../config.js";
import { silentLogger } from "../log.js";
import { gitIn, makeUpstream, type UpstreamRepo } from "../workspace/repo.fake.js";
import { Workspaces } from "../workspace/workspaces.js";
import { cid, offer, sh, supervisorHarness } from "./supervisor.harness.fake.js";

let dataDir: string;
let upstream: UpstreamRepo;
let agents: AgentCatalog;
const setup = () => supervisorHarness({ dataDir, agents });
const repo = () => ({ url: upstream.dir, ref: null });

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "muster-supws-"));
  upstream = await makeUpstream();
  agents = await AgentCatalog.detect(AgentsConfig.parse({}), { pathEnv: "" });
});

describe("claims with a repository", () => {
  it("runs the agent in its own worktree on the task's branch and reports what it changed", async () => {
    const { supervisor, ended, logText } = setup();
    const script = "git branch --show-current; echo new > new.txt; git add new.txt; git commit -qm agent; echo more >> README.md";
    supervisor.offer(offer(1, { ...sh(script), repo: repo(), prompt: "change things" }), { draining: false });
    const done = await ended(cid(1));
    const base = await upstream.git("rev-parse", "HEAD");
    const workdir = join(dataDir, "work", cid(1));
    expect(logText(cid(1))).toBe("muster/tsk_1\n");
    expect(done.outcome).toMatchObject({ status: "succeeded", verify: null });
    expect(done.outcome.workspace).toEqual({
      branch: "muster/tsk_1",
      base,
      head: await gitIn(workdir, "rev-parse", "HEAD"),
      filesChanged: 2,
      insertions: 2,
      deletions: 0,
      dirty: true,
    });
    expect(await readFile(join(workdir, ".muster", "prompt.md"), "utf8")).toBe("change things");
  });

  it("fails the claim as workspace_failed when the ref cannot be checked out, without starting the agent", async () => {
    const { supervisor, ended, records } = setup();
    supervisor.offer(offer(1, { ...sh("echo ran"), repo: { url: upstream.dir, ref: "nope" } }), { draining: false });
    const done = await ended(cid(1));
    expect(done.outcome).toMatchObject({ status: "failed", reason: "workspace_failed", message: `cannot check out ${upstream.dir}: ref "nope" not found` });
    expect(records.get(cid(1))).toBeUndefined();
  });

  it("removes a succeeded claim's worktree once its result is stored and keeps a failed one", async () => {
    const { supervisor, ended } = setup();
    supervisor.offer(offer(1, { ...sh("true"), repo: repo() }), { draining: false });
    supervisor.offer(offer(2, { ...sh("exit 1"), repo: repo() }), { draining: false });
    await ended(cid(1));
    await ended(cid(2));
    const mirror = new Workspaces({ dataDir, log: silentLogger() }).mirrorPath(upstream.dir);
    supervisor.forget(cid(1));
    supervisor.forget(cid(2));
    await expect.poll(() => existsSync(join(dataDir, "work", cid(1))), { timeout: 5000, interval: 20 }).toBe(false);
    expect(existsSync(join(dataDir, "work", cid(2)))).toBe(true);
    expect(await gitIn(mirror, "branch", "--list", "muster/*", "--format=%(refname:short)")).toBe("muster/tsk_1\nmuster/tsk_2");
    expect(JSON.parse(await readFile(join(dataDir, "work", cid(2), ".muster", "ended.json"), "utf8"))).toMatchObject({ status: "failed" });
  });

  it("starts a later attempt of the task from the base again", async () => {
    const { supervisor, ended } = setup();
    supervisor.offer(offer(1, { ...sh("echo x > x.txt; git add x.txt; git commit -qm one; exit 1"), repo: repo() }, "tsk_a"), { draining: false });
    expect((await ended(cid(1))).outcome.workspace).toMatchObject({ filesChanged: 1 });
    supervisor.offer(offer(2, { ...sh("test ! -e x.txt"), repo: repo() }, "tsk_a"), { draining: false });
    const done = await ended(cid(2));
    expect(done.outcome).toMatchObject({ status: "succeeded", workspace: { branch: "muster/tsk_a", filesChanged: 0, dirty: false } });
  });
});

describe("verify", () => {
  it("runs verify in the work dir after the agent and reports it; its output is part of the claim's records", async () => {
    const { supervisor, ended, records } = setup();
    supervisor.offer(offer(1, { ...sh("echo agent; echo ok > result.txt"), verify: "echo checking; cat result.txt" }), { draining: false });
    const done = await ended(cid(1));
    expect(done.outcome).toMatchObject({ status: "succeeded", exitCode: 0, reason: null, workspace: null });
    expect(done.outcome.verify).toEqual({ command: "echo checking; cat result.txt", exitCode: 0, passed: true, durationMs: expect.any(Number) });
    const recs = records.get(cid(1))!;
    expect(recs.map((r) => r.seq)).toEqual(recs.map((_, i) => i + 1));
    expect(recs.filter((r) => r.kind === "started")).toHaveLength(1);
    const shown = recs.flatMap((r) => (r.kind === "log" ? [r.text] : r.kind === "progress" ? [`<${r.message}>`] : []));
    expect(shown.join("")).toBe("agent\n<verify: echo checking; cat result.txt>checking\nok\n");
    expect(done.lastSeq).toBe(recs.length);
  });

  it("fails the claim as verify_failed when verify exits non-zero", async () => {
    const { supervisor, ended } = setup();
    supervisor.offer(offer(1, { ...sh("true"), verify: "echo broken >&2; exit 3" }), { draining: false });
    const done = await ended(cid(1));
    expect(done.outcome).toMatchObject({ status: "failed", reason: "verify_failed", message: "verify exited with code 3", exitCode: 0 });
    expect(done.outcome.verify).toMatchObject({ exitCode: 3, passed: false });
  });

  it("does not verify after a failed agent", async () => {
    const { supervisor, ended, records } = setup();
    supervisor.offer(offer(1, { ...sh("exit 2"), verify: "echo never" }), { draining: false });
    expect((await ended(cid(1))).outcome).toMatchObject({ reason: "exit_code", verify: null });
    expect(records.get(cid(1))!.some((r) => r.kind === "progress")).toBe(false);
  });

  it("holds agent and verify together to the task's time limit", async () => {
    const { supervisor, ended } = setup();
    supervisor.offer(offer(1, { ...sh("sleep 0.4"), verify: "sleep 5", timeoutMs: 900 }), { draining: false });
    const started = Date.now();
    const done = await ended(cid(1));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(done.outcome).toMatchObject({ status: "failed", reason: "timeout", exitCode: 0, verify: { passed: false, exitCode: null } });
  });

  it("stops a verify step that goes silent as stuck", async () => {
    const { supervisor, ended } = setup();
    supervisor.offer(offer(1, { ...sh("echo hi"), verify: "sleep 5", idleTimeoutMs: 300 }), { draining: false });
    expect((await ended(cid(1))).outcome).toMatchObject({ status: "failed", reason: "stuck", message: "no output for 300ms" });
  });

  it("counts verify's output in the task's output cap", async () => {
    const { supervisor, ended, logText } = setup();
    supervisor.offer(offer(1, { ...sh("printf 12345678"), verify: "printf abcdefgh", outputCapBytes: 12 }), { draining: false });
    expect((await ended(cid(1))).outcome).toMatchObject({ status: "succeeded" });
    expect(logText(cid(1))).toBe("12345678abcd[muster] output truncated after 12 bytes\n");
  });
});
