// One bare mirror per repository under <dataDir>/repos: cloned once, fetched before each claim, shared by the
// worktrees of every claim of that repository.
import { createHash, randomBytes } from "node:crypto";
import { access, appendFile, mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { git, GIT_NETWORK_TIMEOUT_MS } from "./git.js";

/** Task branches live in the mirror beside the remote's; a fetch must neither touch nor prune them. */
export const TASK_BRANCH_PREFIX = "muster/";
const KEEP_TASK_BRANCHES = `^refs/heads/${TASK_BRANCH_PREFIX}*`;
/** The node's files in a work dir (the prompt, markers) never count as a change or get committed. */
const EXCLUDED = ".muster/";

/** The mirror's directory name: readable, and unique per URL. */
export function mirrorName(url: string): string {
  const tail = url.replace(/[/\\]+$/, "").split(/[/\\:]/).pop() ?? "";
  const slug = tail.replace(/\.git$/, "").replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 40) || "repo";
  const hash = createHash("sha256").update(url).digest("hex").slice(0, 12);
  return `${slug}-${hash}.git`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Brings the mirror of `url` up to date, cloning it first if need be; returns its path. Callers serialize
 * this per repository. A clone goes to a temp dir first, so an interrupted one never looks like a mirror.
 */
export async function updateMirror(reposDir: string, url: string, signal?: AbortSignal): Promise<string> {
  const dir = join(reposDir, mirrorName(url));
  const network = { timeoutMs: GIT_NETWORK_TIMEOUT_MS, ...(signal ? { signal } : {}) };
  if (await exists(dir)) {
    await git(["fetch", "--prune", "--quiet", "origin"], { cwd: dir, ...network });
    return dir;
  }
  await mkdir(reposDir, { recursive: true });
  const tmp = `${dir}.tmp-${randomBytes(4).toString("hex")}`;
  try {
    await git(["clone", "--mirror", "--quiet", "--", url, tmp], { cwd: reposDir, ...network });
    await git(["config", "--add", "remote.origin.fetch", KEEP_TASK_BRANCHES], { cwd: tmp });
    await excludeNodeFiles(tmp);
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

/** info/exclude lives in the common dir, so this one line covers every worktree of the mirror. */
async function excludeNodeFiles(mirror: string): Promise<void> {
  const path = join(mirror, "info", "exclude");
  const current = await readFile(path, "utf8").catch(() => "");
  if (current.split("\n").includes(EXCLUDED)) return;
  await mkdir(join(mirror, "info"), { recursive: true });
  await appendFile(path, `${current === "" || current.endsWith("\n") ? "" : "\n"}${EXCLUDED}\n`);
}

/** The commit `ref` names in the mirror (the remote's default branch when null); throws when there is none. */
export async function resolveBase(mirror: string, ref: string | null): Promise<string> {
  if (ref !== null && ref.startsWith("-")) throw new Error(`invalid ref "${ref}"`);
  const name = ref ?? "HEAD";
  try {
    return await git(["rev-parse", "--verify", "--quiet", `${name}^{commit}`], { cwd: mirror });
  } catch {
    throw new Error(ref === null ? "the repository's default branch has no commits" : `ref "${ref}" not found`);
  }
}
