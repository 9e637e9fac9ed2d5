import { existsSync } from "node:fs";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../log.js";
import { gitIn, makeUpstream, type UpstreamRepo } from "./repo.fake.js";
import { mirrorName } from "./mirror.js";
import { WorkspaceError, Workspaces, type WorkspacePolicy } from "./workspaces.js";

let dataDir: string;
let upstream: UpstreamRepo;
const repo = (ref: string | null = null) => ({ url: upstream.dir, ref });
const workdir = (claimId: string) => join(dataDir, "work", claimId);

function workspaces(policy?: WorkspacePolicy, now?: () => number) {
  return new Workspaces({ dataDir, log: silentLogger(), ...(policy ? { policy } : {}), ...(now ? { now } : {}) });
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "muster-ws-"));
  upstream = await makeUpstream();
});

describe("workspaces", () => {
  it("mirrors the repository once and checks each claim out on the task's branch at the default branch", async () => {
    const ws = workspaces();
    const first = await ws.prepare("tsk_1", repo(), workdir("clm_1"));
    const mirror = join(dataDir, "repos", mirrorName(upstream.dir));
    expect(first).toEqual({ mirror, workdir: workdir("clm_1"), branch: "muster/tsk_1", base: await upstream.git("rev-parse", "HEAD") });
    expect(await gitIn(mirror, "rev-parse", "--is-bare-repository")).toBe("true");
    expect(await gitIn(workdir("clm_1"), "branch", "--show-current")).toBe("muster/tsk_1");
    expect(await readFile(join(workdir("clm_1"), "README.md"), "utf8")).toBe("hello\n");

    const next = await upstream.commit({ "b.txt": "b\n" });
    const second = await ws.prepare("tsk_2", repo(), workdir("clm_2"));
    expect(second.base).toBe(next);
    expect(existsSync(join(workdir("clm_2"), "b.txt"))).toBe(true);
  });

  it("starts from the task's ref: a branch, a tag or a commit", async () => {
    const initial = await upstream.git("rev-parse", "HEAD");
    await upstream.git("tag", "v1");
    await upstream.git("checkout", "--quiet", "-b", "feature");
    const feature = await upstream.commit({ "f.txt": "f\n" });
    await upstream.git("checkout", "--quiet", "main");
    const ws = workspaces();
    expect((await ws.prepare("tsk_1", repo("feature"), workdir("clm_1"))).base).toBe(feature);
    expect((await ws.prepare("tsk_2", repo("v1"), workdir("clm_2"))).base).toBe(initial);
    expect((await ws.prepare("tsk_3", repo(initial.slice(0, 10)), workdir("clm_3"))).base).toBe(initial);
  });

  it("fails with a clear message when the repository or the ref cannot be had", async () => {
    const ws = workspaces();
    await expect(ws.prepare("tsk_1", repo("no-such-branch"), workdir("clm_1"))).rejects.toThrow(
      new WorkspaceError(`cannot check out ${upstream.dir}: ref "no-such-branch" not found`),
    );
    const missing = join(dataDir, "nowhere");
    await expect(ws.prepare("tsk_2", { url: missing, ref: null }, workdir("clm_2"))).rejects.toThrow(
      new RegExp(`^cannot fetch ${missing}: git clone failed: .*does not exist`),
    );
    expect(existsSync(join(dataDir, "repos", mirrorName(missing)))).toBe(false);
  });

  it("keeps credentials in a repository URL out of its messages", async () => {
    const err = await workspaces()
      .prepare("tsk_1", { url: "http://user:s3cret@127.0.0.1:1/r.git", ref: null }, workdir("clm_1"))
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(WorkspaceError);
    expect((err as Error).message).toMatch(/^cannot fetch http:\/\/127\.0\.0\.1:1\/r\.git: /);
    expect((err as Error).message).not.toMatch(/s3cret/);
  });

  it("resets the branch to the base for a later attempt and leaves the earlier attempt's files alone", async () => {
    const ws = workspaces();
    const first = await ws.prepare("tsk_1", repo(), workdir("clm_1"));
    await writeFile(join(workdir("clm_1"), "work.txt"), "attempt 1\n");
    await gitIn(workdir("clm_1"), "-c", "user.name=a", "-c", "user.email=a@b", "add", "-A");
    await gitIn(workdir("clm_1"), "-c", "user.name=a", "-c", "user.email=a@b", "commit", "--quiet", "-m", "attempt 1");
    const attempt1Head = await gitIn(workdir("clm_1"), "rev-parse", "HEAD");

    const second = await ws.prepare("tsk_1", repo(), workdir("clm_2"));
    expect(second.base).toBe(first.base);
    expect(await gitIn(workdir("clm_2"), "rev-parse", "HEAD")).toBe(first.base);
    expect(await gitIn(workdir("clm_2"), "branch", "--show-current")).toBe("muster/tsk_1");
    expect(existsSync(join(workdir("clm_2"), "work.txt"))).toBe(false);
    // The first attempt's worktree is detached where it was, files and all.
    expect(await gitIn(workdir("clm_1"), "rev-parse", "HEAD")).toBe(attempt1Head);
    expect(await readFile(join(workdir("clm_1"), "work.txt"), "utf8")).toBe("attempt 1\n");
  });

  it("serializes claims of one repository so two first claims at once both get a worktree", async () => {
    const ws = workspaces();
    const all = await Promise.all([1, 2, 3].map((n) => ws.prepare(`tsk_${n}`, repo(), workdir(`clm_${n}`))));
    expect(new Set(all.map((w) => w.mirror)).size).toBe(1);
    for (const n of [1, 2, 3]) expect(await gitIn(workdir(`clm_${n}`), "branch", "--show-current")).toBe(`muster/tsk_${n}`);
  });

  it("keeps task branches in the mirror across fetches while the remote's deleted branches go", async () => {
    const ws = workspaces();
    await upstream.git("branch", "old");
    const { mirror } = await ws.prepare("tsk_1", repo(), workdir("clm_1"));
    await ws.release(upstream.dir, workdir("clm_1"), "succeeded");
    await upstream.git("branch", "-D", "old");
    await ws.prepare("tsk_2", repo(), workdir("clm_2"));
    const branches = (await gitIn(mirror, "branch", "--format=%(refname:short)")).split("\n");
    expect(branches).toEqual(expect.arrayContaining(["main", "muster/tsk_1", "muster/tsk_2"]));
    expect(branches).not.toContain("old");
  });
});

describe("workspace results", () => {
  it("counts commits, uncommitted edits and new files from the base, but not the node's own .muster files", async () => {
    const ws = workspaces();
    const prepared = await ws.prepare("tsk_1", repo(), workdir("clm_1"));
    const dir = workdir("clm_1");
    await mkdir(join(dir, ".muster"), { recursive: true });
    await writeFile(join(dir, ".muster", "prompt.md"), "the prompt\n");
    expect(await ws.result(prepared)).toEqual({
      branch: "muster/tsk_1",
      base: prepared.base,
      head: prepared.base,
      filesChanged: 0,
      insertions: 0,
      deletions: 0,
      dirty: false,
    });

    await writeFile(join(dir, "committed.txt"), "c1\nc2\n");
    await gitIn(dir, "-c", "user.name=a", "-c", "user.email=a@b", "add", "committed.txt");
    await gitIn(dir, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "--quiet", "-m", "agent");
    await writeFile(join(dir, "src", "a.txt"), "one\n2\nthree\nfour\n");
    await writeFile(join(dir, "untracked.txt"), "u\n");
    const result = await ws.result(prepared);
    expect(result).toMatchObject({ filesChanged: 3, insertions: 5, deletions: 1, dirty: true });
    expect(result.head).toBe(await gitIn(dir, "rev-parse", "HEAD"));
    expect(result.head).not.toBe(prepared.base);
    // The agent's own index is untouched by the count.
    expect(await gitIn(dir, "status", "--porcelain")).toBe(" M src/a.txt\n?? untracked.txt");
    expect(await ws.diffStat(prepared, 2000)).toMatch(/3 files changed, 5 insertions\(\+\), 1 deletion\(-\)/);
  });

  it("cuts a long diff stat to its bound and keeps the summary line", async () => {
    const ws = workspaces();
    const prepared = await ws.prepare("tsk_1", repo(), workdir("clm_1"));
    for (let i = 0; i < 200; i += 1) await writeFile(join(workdir("clm_1"), `file-${i}.txt`), "x\n");
    const text = await ws.diffStat(prepared, 500);
    expect(text.length).toBeLessThanOrEqual(500);
    expect(text).toMatch(/200 files changed, 200 insertions\(\+\)$/);
  });
});

describe("workspace cleanup", () => {
  it("removes a succeeded claim's worktree once released but keeps its branch, and keeps failed ones", async () => {
    const ws = workspaces();
    const { mirror } = await ws.prepare("tsk_1", repo(), workdir("clm_1"));
    await ws.prepare("tsk_2", repo(), workdir("clm_2"));
    await ws.release(upstream.dir, workdir("clm_1"), "succeeded");
    await ws.release(upstream.dir, workdir("clm_2"), "failed");
    expect(existsSync(workdir("clm_1"))).toBe(false);
    expect(existsSync(workdir("clm_2"))).toBe(true);
    expect(await gitIn(mirror, "branch", "--list", "muster/tsk_1", "--format=%(refname:short)")).toBe("muster/tsk_1");
    expect(await gitIn(mirror, "worktree", "list")).not.toContain("clm_1");
  });

  it("keeps succeeded worktrees when the policy says so", async () => {
    const ws = workspaces({ keepSucceeded: true, keepFailedForMs: 1000 });
    await ws.prepare("tsk_1", repo(), workdir("clm_1"));
    await ws.release(upstream.dir, workdir("clm_1"), "succeeded");
    expect(existsSync(workdir("clm_1"))).toBe(true);
  });

  it("prunes failed worktrees older than keepFailedFor, never one a claim still holds", async () => {
    let now = 1_000_000;
    const ws = workspaces({ keepSucceeded: false, keepFailedForMs: 60_000 }, () => now);
    for (const n of [1, 2, 3, 4]) await ws.prepare(`tsk_${n}`, repo(), workdir(`clm_${n}`));
    await ws.ended(workdir("clm_1"), "failed");
    await ws.ended(workdir("clm_2"), "cancelled");
    await ws.ended(workdir("clm_4"), "failed");
    now += 30_000;
    await ws.ended(workdir("clm_3"), "failed");
    now += 40_000;
    expect(await ws.prune(new Set([workdir("clm_4")]))).toBe(2);
    expect([1, 2, 3, 4].map((n) => existsSync(workdir(`clm_${n}`)))).toEqual([false, false, true, true]);
    now += 60_000;
    expect(await ws.prune(new Set())).toBe(2);
    expect(existsSync(workdir("clm_3"))).toBe(false);
  });

  it("prunes at once when scheduled, sparing the claims held then", async () => {
    let now = 1_000_000;
    const ws = workspaces({ keepSucceeded: false, keepFailedForMs: 1000 }, () => now);
    for (const n of [1, 2]) {
      await ws.prepare(`tsk_${n}`, repo(), workdir(`clm_${n}`));
      await ws.ended(workdir(`clm_${n}`), "failed");
    }
    now += 5000;
    const stop = ws.schedulePruning(() => [workdir("clm_2")]);
    await expect.poll(() => existsSync(workdir("clm_1")), { timeout: 5000, interval: 20 }).toBe(false);
    expect(existsSync(workdir("clm_2"))).toBe(true);
    stop();
  });

  it("forgets worktrees whose directory someone deleted", async () => {
    const ws = workspaces();
    const { mirror } = await ws.prepare("tsk_1", repo(), workdir("clm_1"));
    await rm(workdir("clm_1"), { recursive: true, force: true });
    expect(await ws.prune(new Set())).toBe(0);
    expect(await gitIn(mirror, "worktree", "list")).not.toContain("clm_1");
  });
});
