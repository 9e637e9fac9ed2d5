// File ownership for workers that run as another user: hand a tree to the worker (never following a symlink
// it may have planted), and the per-claim groups that keep one claim's files from another's.
import { lchown, lstat, opendir } from "node:fs/promises";
import { join } from "node:path";

/** lchown of `dir`'s contents, all the way down; `dir` itself and the names in `skip` (top level) are left. */
export async function chownContents(dir: string, uid: number, gid: number, skip: ReadonlySet<string> = new Set()): Promise<void> {
  for await (const entry of await opendir(dir)) {
    if (skip.has(entry.name)) continue;
    const path = join(dir, entry.name);
    await lchown(path, uid, gid);
    if (entry.isDirectory()) await chownContents(path, uid, gid);
  }
}

/** `dir` and everything in it. */
export async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  const st = await lstat(dir);
  await lchown(dir, uid, gid);
  if (st.isDirectory()) await chownContents(dir, uid, gid);
}

/**
 * Group ids for claims, one per running claim, from a range no account uses: two workers of the same user
 * but different groups can neither enter each other's work dirs nor read each other's /proc/<pid>/environ.
 */
export class ClaimGroups {
  private readonly used = new Set<number>();

  constructor(
    readonly first = CLAIM_GID_FIRST,
    private readonly count = 65_536,
  ) {}

  take(): number {
    for (let i = 0; i < this.count; i++) {
      const gid = this.first + i;
      if (!this.used.has(gid)) {
        this.used.add(gid);
        return gid;
      }
    }
    throw new Error(`all ${this.count} claim groups are in use`);
  }

  release(gid: number): void {
    this.used.delete(gid);
  }
}

/** Far above the ids of accounts and of the usual subordinate-id ranges for user namespaces. */
export const CLAIM_GID_FIRST = 2_000_000_000;
