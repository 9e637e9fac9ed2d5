import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { worktreeGit } from "./git-paths.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("worktreeGit", () => {
  it("finds the mirror and what a commit on the task branch writes in it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "muster-gitpaths-"));
    dirs.push(dir);
    const workdir = join(dir, "work", "clm_1");
    mkdirSync(workdir, { recursive: true });
    const mirror = join(dir, "repos", "r.git");
    writeFileSync(join(workdir, ".git"), `gitdir: ${mirror}/worktrees/clm_1\n`);
    expect(await worktreeGit(workdir)).toEqual({
      mirror,
      gitdir: join(mirror, "worktrees", "clm_1"),
      writable: [join(mirror, "objects"), join(mirror, "refs", "heads", "muster"), join(mirror, "logs", "refs", "heads", "muster")],
    });
  });

  it("is null for a plain work dir and for a .git that is no linked worktree", async () => {
    const dir = mkdtempSync(join(tmpdir(), "muster-gitpaths-"));
    dirs.push(dir);
    expect(await worktreeGit(dir)).toBeNull();
    writeFileSync(join(dir, ".git"), "gitdir: /somewhere/else\n");
    expect(await worktreeGit(dir)).toBeNull();
  });
});
