// What an attempt changed in its worktree: base..worktree, counting commits, uncommitted edits and new files.
import { randomBytes } from "node:crypto";
import { copyFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { git } from "./git.js";

export interface DiffStats {
  filesChanged: number;
  insertions: number;
  deletions: number;
  /** Something is not committed: edits, staged changes or untracked (not ignored) files. */
  dirty: boolean;
}

/** Parses `git diff --numstat`; a binary file counts as changed with no lines. */
export function parseNumstat(out: string): Omit<DiffStats, "dirty"> {
  let filesChanged = 0;
  let insertions = 0;
  let deletions = 0;
  for (const line of out.split("\n")) {
    const m = /^(\d+|-)\t(\d+|-)\t/.exec(line);
    if (!m) continue;
    filesChanged += 1;
    if (m[1] !== "-") insertions += Number(m[1]);
    if (m[2] !== "-") deletions += Number(m[2]);
  }
  return { filesChanged, insertions, deletions };
}

/**
 * Runs `diffArgs` against a scratch index holding the whole worktree (`git add -A`), so the diff covers
 * uncommitted and untracked files without touching the agent's own index.
 */
async function diffWorktree(workdir: string, diffArgs: string[]): Promise<string> {
  const index = resolve(workdir, await git(["rev-parse", "--git-path", "index"], { cwd: workdir }));
  const scratch = join(tmpdir(), `muster-index-${randomBytes(6).toString("hex")}`);
  try {
    // A copy keeps git's stat cache, so unchanged files are not hashed again.
    await copyFile(index, scratch).catch(() => undefined);
    const env = { GIT_INDEX_FILE: scratch };
    await git(["add", "-A", "--", "."], { cwd: workdir, env });
    return await git(["diff", "--cached", "--no-color", ...diffArgs], { cwd: workdir, env });
  } finally {
    await rm(scratch, { force: true });
  }
}

export async function diffStats(workdir: string, base: string): Promise<DiffStats> {
  const numstat = await diffWorktree(workdir, ["--numstat", base]);
  const status = await git(["status", "--porcelain", "--untracked-files=all"], { cwd: workdir });
  return { ...parseNumstat(numstat), dirty: status.trim() !== "" };
}

/** `git diff --stat` of base..worktree, for a person to read; cut to `maxChars`. */
export async function diffStatText(workdir: string, base: string, maxChars: number): Promise<string> {
  const text = await diffWorktree(workdir, ["--stat=100", base]);
  if (text.length <= maxChars) return text;
  const lines = text.split("\n");
  const summary = lines.pop() ?? "";
  let kept = "";
  for (const line of lines) {
    if (kept.length + line.length + summary.length + 8 > maxChars) break;
    kept += `${line}\n`;
  }
  return `${kept} ...\n${summary}`.slice(0, maxChars);
}
