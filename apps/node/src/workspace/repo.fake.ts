// Local git repositories for tests: an upstream made in a temp dir, committed to with a fixed identity.
import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";

const IDENTITY = ["-c", "user.name=Muster Test", "-c", "user.email=test@muster.invalid", "-c", "commit.gpgsign=false"];

/** Runs git in `cwd` as a test would type it; returns stdout. */
export async function gitIn(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execa("git", [...IDENTITY, ...args], { cwd });
  return stdout;
}

export interface UpstreamRepo {
  dir: string;
  /** Writes the files and commits them on the current branch; returns the new commit. */
  commit(files: Record<string, string>, message?: string): Promise<string>;
  git(...args: string[]): Promise<string>;
}

export async function makeUpstream(defaultBranch = "main"): Promise<UpstreamRepo> {
  const dir = await mkdtemp(join(tmpdir(), "muster-upstream-"));
  await gitIn(dir, "init", "--quiet", "-b", defaultBranch);
  const repo: UpstreamRepo = {
    dir,
    git: (...args) => gitIn(dir, ...args),
    async commit(files, message = "change") {
      for (const [name, text] of Object.entries(files)) {
        await mkdir(dirname(join(dir, name)), { recursive: true });
        await writeFile(join(dir, name), text);
      }
      await gitIn(dir, "add", "-A");
      await gitIn(dir, "commit", "--quiet", "-m", message);
      return gitIn(dir, "rev-parse", "HEAD");
    },
  };
  await repo.commit({ "README.md": "hello\n", "src/a.txt": "one\ntwo\nthree\n" }, "initial");
  return repo;
}

/** Git identity for a worker that commits in its worktree. */
export const COMMIT_ENV = {
  GIT_AUTHOR_NAME: "Agent",
  GIT_AUTHOR_EMAIL: "agent@muster.invalid",
  GIT_COMMITTER_NAME: "Agent",
  GIT_COMMITTER_EMAIL: "agent@muster.invalid",
};
