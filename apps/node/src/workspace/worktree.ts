// A claim's own checkout: a git worktree of the repository's mirror, on the task's branch.
import { rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { git } from "./git.js";

export interface WorktreeEntry {
  path: string;
  /** Full ref name (refs/heads/...), or null when detached. */
  branch: string | null;
  bare: boolean;
}

export async function listWorktrees(mirror: string): Promise<WorktreeEntry[]> {
  const out = await git(["worktree", "list", "--porcelain"], { cwd: mirror });
  const entries: WorktreeEntry[] = [];
  for (const block of out.split("\n\n")) {
    const lines = block.split("\n");
    const path = lines.find((l) => l.startsWith("worktree "))?.slice("worktree ".length);
    if (!path) continue;
    const branch = lines.find((l) => l.startsWith("branch "))?.slice("branch ".length) ?? null;
    entries.push({ path, branch, bare: lines.includes("bare") });
  }
  return entries;
}

/**
 * Frees `branch` from a worktree an earlier attempt of the task left (kept after a failure): that worktree
 * is detached at the commit it had, so its files stay exactly as the attempt left them.
 */
async function releaseBranch(mirror: string, branch: string, workdir: string): Promise<boolean> {
  const holder = (await listWorktrees(mirror)).find((w) => w.branch === `refs/heads/${branch}` && w.path !== workdir);
  if (!holder) return true;
  if (!existsSync(holder.path)) {
    await git(["worktree", "prune"], { cwd: mirror });
    return true;
  }
  try {
    await git(["switch", "--detach", "--quiet"], { cwd: holder.path });
    return true;
  } catch {
    return false;
  }
}

/** Checks out `base` at `workdir` (absent or empty) on `branch`, which is created or reset to `base`. */
export async function addWorktree(mirror: string, workdir: string, branch: string, base: string): Promise<void> {
  const freed = await releaseBranch(mirror, branch, workdir);
  // If the old worktree would not let go (a merge in progress), take the branch anyway.
  const force = freed ? [] : ["--force"];
  await git(["worktree", "add", "--quiet", "--no-track", ...force, "-B", branch, workdir, base], { cwd: mirror });
}

/** Deletes the worktree and its files; the branch stays in the mirror. */
export async function removeWorktree(mirror: string, workdir: string): Promise<void> {
  try {
    await git(["worktree", "remove", "--force", "--force", workdir], { cwd: mirror });
  } catch (err) {
    // Not (or no longer) a registered worktree: delete what is left and let git forget it.
    await rm(workdir, { recursive: true, force: true });
    await git(["worktree", "prune"], { cwd: mirror });
    if (existsSync(workdir)) throw err;
  }
}
