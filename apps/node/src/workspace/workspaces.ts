// The node's git workspaces: a mirror per repository under <dataDir>/repos, a worktree per claim at its work
// dir on branch muster/<taskId>, what each attempt changed, and when a worktree goes away.
import { lstat, mkdir, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import { constants, existsSync, readdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { RepoSpec, WorkspaceResult } from "@muster/protocol";
import type { Logger } from "../log.js";
import { git, withoutCredentials } from "./git.js";
import { KeyedLock } from "./lock.js";
import { mirrorName, resolveBase, TASK_BRANCH_PREFIX, updateMirror } from "./mirror.js";
import { diffStats, diffStatText } from "./stats.js";
import { addWorktree, listWorktrees, removeWorktree } from "./worktree.js";

export interface WorkspacePolicy {
  /** Keep a succeeded claim's worktree after its result is stored (it is removed by default). */
  keepSucceeded: boolean;
  /** How long a failed (or cancelled) claim's worktree stays for a look before it is pruned. */
  keepFailedForMs: number;
}

export const DEFAULT_WORKSPACE_POLICY: WorkspacePolicy = { keepSucceeded: false, keepFailedForMs: 24 * 3_600_000 };
export const PRUNE_EVERY_MS = 3_600_000;

/** A worktree made for a claim. */
export interface PreparedWorkspace {
  mirror: string;
  workdir: string;
  branch: string;
  /** The commit the branch was reset to. */
  base: string;
}

/** The repository could not be mirrored or checked out; the claim fails with `workspace_failed`. */
export class WorkspaceError extends Error {
  override readonly name = "WorkspaceError";
}

export interface WorkspacesOptions {
  dataDir: string;
  policy?: WorkspacePolicy;
  log: Logger;
  now?: () => number;
}

type EndedStatus = "succeeded" | "failed" | "cancelled";
interface EndedMarker {
  status: EndedStatus;
  endedAt: number;
}

/** Written when the attempt ends, inside the (excluded) .muster dir, so pruning knows the worktree's age and fate. */
const markerPath = (workdir: string) => join(workdir, ".muster", "ended.json");

export class Workspaces {
  private readonly lock = new KeyedLock();
  private readonly reposDir: string;
  private readonly workRoot: string;
  private readonly policy: WorkspacePolicy;
  private readonly now: () => number;

  constructor(private readonly opts: WorkspacesOptions) {
    this.reposDir = join(opts.dataDir, "repos");
    this.workRoot = resolve(opts.dataDir, "work");
    this.policy = opts.policy ?? DEFAULT_WORKSPACE_POLICY;
    this.now = opts.now ?? Date.now;
  }

  mirrorPath(url: string): string {
    return join(this.reposDir, mirrorName(url));
  }

  /** Fetches the repository and checks out the task's branch at `workdir`, reset to the ref's commit. */
  async prepare(taskId: string, repo: RepoSpec, workdir: string, signal?: AbortSignal): Promise<PreparedWorkspace> {
    const where = withoutCredentials(repo.url);
    let mirror: string;
    try {
      mirror = await this.lock.run(this.mirrorPath(repo.url), () => updateMirror(this.reposDir, repo.url, signal));
    } catch (err) {
      throw new WorkspaceError(`cannot fetch ${where}: ${(err as Error).message}`, { cause: err });
    }
    const branch = `${TASK_BRANCH_PREFIX}${taskId}`;
    return this.lock.run(mirror, async () => {
      let base: string;
      try {
        base = await resolveBase(mirror, repo.ref);
      } catch (err) {
        throw new WorkspaceError(`cannot check out ${where}: ${(err as Error).message}`, { cause: err });
      }
      try {
        await mkdir(this.workRoot, { recursive: true });
        await addWorktree(mirror, workdir, branch, base);
      } catch (err) {
        throw new WorkspaceError(`cannot check out ${where} at ${base.slice(0, 12)}: ${(err as Error).message}`, { cause: err });
      }
      return { mirror, workdir, branch, base };
    });
  }

  /** The worktree as the attempt left it. */
  async result(ws: PreparedWorkspace): Promise<WorkspaceResult> {
    const head = await git(["rev-parse", "HEAD"], { cwd: ws.workdir });
    const stats = await diffStats(ws.workdir, ws.base);
    return { branch: ws.branch, base: ws.base, head, ...stats };
  }

  /** `git diff --stat` of base..worktree for an approval question. */
  diffStat(ws: PreparedWorkspace, maxChars: number): Promise<string> {
    return diffStatText(ws.workdir, ws.base, maxChars);
  }

  /** Notes how the attempt in `workdir` ended; best effort. */
  async ended(workdir: string, status: EndedStatus): Promise<void> {
    const marker: EndedMarker = { status, endedAt: this.now() };
    try {
      await mkdir(join(workdir, ".muster"), { recursive: true });
      // The worker owned this dir: a symlink there must not make the daemon write somewhere else.
      if (!(await lstat(join(workdir, ".muster"))).isDirectory()) throw new Error(".muster is not a directory");
      await rm(markerPath(workdir), { force: true });
      await writeFile(markerPath(workdir), `${JSON.stringify(marker)}\n`, { flag: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW });
    } catch (err) {
      this.opts.log.warn({ err, workdir }, "cannot mark the workspace as ended");
    }
  }

  /** The claim's result is stored: a succeeded claim's worktree goes now (its branch stays), unless kept. */
  async release(repoUrl: string, workdir: string, status: EndedStatus): Promise<void> {
    if (status !== "succeeded" || this.policy.keepSucceeded) return;
    const mirror = this.mirrorPath(repoUrl);
    if (!existsSync(mirror)) return;
    await this.lock.run(mirror, () => removeWorktree(mirror, workdir));
    this.opts.log.info({ workdir }, "workspace removed");
  }

  /**
   * Removes the worktrees of claims this node no longer holds whose time is up: succeeded ones (when not kept)
   * and failed ones older than keepFailedFor. Returns how many went.
   */
  async prune(held: ReadonlySet<string>): Promise<number> {
    if (!existsSync(this.reposDir)) return 0;
    const workRoots = [this.workRoot, await realpath(this.workRoot).catch(() => this.workRoot)];
    // Work dirs are <work>/<claimId>: matching by name holds even when git wrote the path through a symlink.
    const heldNames = new Set([...held].map((p) => basename(p)));
    let removed = 0;
    for (const entry of readdirSync(this.reposDir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !entry.name.endsWith(".git")) continue;
      const mirror = join(this.reposDir, entry.name);
      try {
        removed += await this.lock.run(mirror, () => this.pruneMirror(mirror, workRoots, heldNames));
      } catch (err) {
        this.opts.log.warn({ err, mirror }, "cannot prune the mirror's worktrees");
      }
    }
    return removed;
  }

  private async pruneMirror(mirror: string, workRoots: string[], heldNames: ReadonlySet<string>): Promise<number> {
    await git(["worktree", "prune"], { cwd: mirror });
    let removed = 0;
    for (const { path, bare } of await listWorktrees(mirror)) {
      if (bare || heldNames.has(basename(path)) || !workRoots.some((root) => dirname(path) === root)) continue;
      if (!(await this.expired(path))) continue;
      await removeWorktree(mirror, path);
      removed += 1;
      this.opts.log.info({ workdir: path }, "workspace pruned");
    }
    return removed;
  }

  private async expired(workdir: string): Promise<boolean> {
    let marker: EndedMarker | null = null;
    try {
      marker = JSON.parse(await readFile(markerPath(workdir), "utf8")) as EndedMarker;
    } catch {
      // No marker: the daemon died while the claim ran; its age is the worktree's.
    }
    if (marker?.status === "succeeded" && !this.policy.keepSucceeded) return true;
    if (marker?.status === "succeeded") return false;
    const endedAt = typeof marker?.endedAt === "number" ? marker.endedAt : await stat(workdir).then((s) => s.mtimeMs, () => 0);
    return this.now() - endedAt >= this.policy.keepFailedForMs;
  }

  /** Prunes now and then every `everyMs`; returns the function that stops it. */
  schedulePruning(held: () => Iterable<string>, everyMs = PRUNE_EVERY_MS): () => void {
    const pruneOnce = () => {
      if (!existsSync(this.reposDir)) return;
      this.prune(new Set(held())).catch((err: unknown) => this.opts.log.warn({ err }, "workspace pruning failed"));
    };
    pruneOnce();
    const timer = setInterval(pruneOnce, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
