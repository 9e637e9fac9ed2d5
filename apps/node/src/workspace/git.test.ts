import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GitError, pinnedWorktree } from "./git.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "muster-git-"));
  dirs.push(dir);
  mkdirSync(join(dir, "work", "clm_1"), { recursive: true });
  mkdirSync(join(dir, "repos", "r.git", "worktrees", "clm_1"), { recursive: true });
  return dir;
}

describe("pinnedWorktree", () => {
  it("points git at the worktree's entry in the node's mirror, not at whatever .git names later", () => {
    const dir = dataDir();
    const workdir = join(dir, "work", "clm_1");
    const gitdir = join(dir, "repos", "r.git", "worktrees", "clm_1");
    writeFileSync(join(workdir, ".git"), `gitdir: ${gitdir}\n`);
    expect(pinnedWorktree(workdir)).toEqual({ GIT_DIR: gitdir, GIT_COMMON_DIR: join(dir, "repos", "r.git"), GIT_WORK_TREE: workdir });
  });

  it("refuses a .git a worker rewrote to point at a repository of its own making", () => {
    const dir = dataDir();
    const workdir = join(dir, "work", "clm_1");
    for (const target of [join(workdir, "evil", "worktrees", "x"), join(dir, "repos", "r.git", "objects", "repos", "e.git", "worktrees", "x"), "/etc"]) {
      writeFileSync(join(workdir, ".git"), `gitdir: ${target}\n`);
      expect(() => pinnedWorktree(workdir)).toThrow(GitError);
    }
  });

  it("leaves a bare repository and a plain dir alone", () => {
    const dir = dataDir();
    expect(pinnedWorktree(join(dir, "repos", "r.git"))).toEqual({});
    expect(pinnedWorktree(join(dir, "work"))).toEqual({});
  });
});
