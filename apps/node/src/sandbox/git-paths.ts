// Where the git data of a worktree lives: its `.git` file names <mirror>/worktrees/<name>; a commit in the
// worktree writes there, into the mirror's object store and into the task branches' refs and logs.
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { TASK_BRANCH_PREFIX } from "../workspace/mirror.js";

export interface WorktreeGit {
  /** The bare mirror (the common dir). */
  mirror: string;
  /** <mirror>/worktrees/<name>: the worktree's HEAD, index and logs. */
  gitdir: string;
  /** What a commit on the task branch writes in the mirror. */
  writable: string[];
}

/** Null when the work dir is no linked worktree (a task without a repository). */
export async function worktreeGit(workdir: string): Promise<WorktreeGit | null> {
  let text: string;
  try {
    text = await readFile(join(workdir, ".git"), "utf8");
  } catch {
    return null;
  }
  const match = /^gitdir: (.+)$/m.exec(text);
  if (!match) return null;
  const gitdir = resolve(workdir, match[1]!.trim());
  if (!isAbsolute(gitdir) || !/[/\\]worktrees[/\\][^/\\]+$/.test(gitdir)) return null;
  const mirror = dirname(dirname(gitdir));
  const branches = TASK_BRANCH_PREFIX.replace(/\/$/, "");
  return {
    mirror,
    gitdir,
    writable: [join(mirror, "objects"), join(mirror, "refs", "heads", branches), join(mirror, "logs", "refs", "heads", branches)],
  };
}
