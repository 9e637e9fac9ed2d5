// Workers as a dedicated unprivileged user, for machines without user namespaces: the node's files stay
// root's (0700/0600), each claim's files belong to a group of the claim's own, and its ask socket is
// reachable through a link only that group may use.
import { chmod, chown, link, lstat, mkdir, rm } from "node:fs/promises";
import { basename, dirname, join, parse } from "node:path";
import { LOCAL_SOCKET_ENV } from "@muster/protocol";
import type { Logger } from "../log.js";
import type { WorkerUser } from "./choose.js";
import { worktreeGit } from "./git-paths.js";
import { chownContents, chownTree, ClaimGroups } from "./ownership.js";
import { SandboxError, type ClaimSandbox, type ClaimSandboxInput, type WorkerSandbox } from "./sandbox.js";

export interface UserSandboxOptions {
  user: WorkerUser;
  dataDir: string;
  log: Logger;
  groups?: ClaimGroups;
}

/** Searchable by the worker user: every directory on the way to its work dir must be. */
async function searchable(dir: string, user: WorkerUser): Promise<boolean> {
  const st = await lstat(dir);
  if (st.uid === user.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === user.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

export class UserSandbox implements WorkerSandbox {
  readonly mode = "user";
  readonly network = "on";
  private readonly groups: ClaimGroups;

  constructor(private readonly opts: UserSandboxOptions) {
    this.groups = opts.groups ?? new ClaimGroups();
  }

  /** Makes the data dir passable but not listable, its private parts root's only; throws when the user cannot reach it. */
  async prepareNode(): Promise<void> {
    const { dataDir, user } = this.opts;
    for (let dir = dirname(dataDir); dir !== parse(dir).root; dir = dirname(dir))
      if (!(await searchable(dir, user)))
        throw new SandboxError(`sandbox user: ${user.name} cannot pass ${dir} on the way to the data dir ${dataDir}; chmod o+x it or move the data dir`);
    await mkdir(join(dataDir, "work"), { recursive: true });
    // Links to the sockets of a daemon that died (its sockets went with <dataDir>/s).
    await rm(join(dataDir, "s-w"), { recursive: true, force: true });
    for (const [dir, mode] of [[dataDir, 0o711], [join(dataDir, "work"), 0o711], [join(dataDir, "bin"), 0o755], [join(dataDir, "claims"), 0o700]] as const)
      await chmod(dir, mode).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") throw err;
      });
  }

  async enter({ claimId, workdir, env, network }: ClaimSandboxInput): Promise<ClaimSandbox> {
    if (network === "none") throw new SandboxError("network none needs sandbox bwrap; this node runs workers with sandbox user");
    const { user } = this.opts;
    const gid = this.groups.take();
    let socketLink: string | null = null;
    try {
      const home = join(workdir, ".muster", "home");
      await mkdir(home, { recursive: true });
      // The work dir stays root's, so the daemon's own git trusts it; its group may do anything in it.
      await chown(workdir, 0, gid);
      await chmod(workdir, 0o770);
      await chownContents(workdir, user.uid, gid, new Set([".git"]));
      await this.shareGit(workdir, gid);
      const workerEnv: Record<string, string> = { ...env, HOME: home };
      const socket = env[LOCAL_SOCKET_ENV];
      if (socket) {
        socketLink = await this.linkSocket(socket, gid);
        workerEnv[LOCAL_SOCKET_ENV] = socketLink;
      }
      trustRepositories(workerEnv);
      this.opts.log.debug({ claimId, gid }, "claim sandboxed as its own group");
      const linked = socketLink;
      return {
        wrap: (command) => ({ command: [...command], env: { ...workerEnv }, uid: user.uid, gid }),
        close: async () => {
          if (linked) await rm(linked, { force: true }).catch(() => undefined);
          this.groups.release(gid);
        },
      };
    } catch (err) {
      if (socketLink) await rm(socketLink, { force: true }).catch(() => undefined);
      this.groups.release(gid);
      throw err instanceof SandboxError ? err : new SandboxError(`cannot hand the work dir to ${user.name}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The worktree's gitdir goes to the claim; the mirror's objects and task branches to the worker user. */
  private async shareGit(workdir: string, gid: number): Promise<void> {
    const git = await worktreeGit(workdir);
    if (!git) return;
    const { user } = this.opts;
    await chown(git.gitdir, 0, gid);
    await chmod(git.gitdir, 0o770);
    await chownContents(git.gitdir, user.uid, gid);
    for (const dir of git.writable) {
      await mkdir(dir, { recursive: true });
      await chownTree(dir, user.uid, user.gid);
    }
  }

  /**
   * The socket's own directory is root's alone; a hard link to it in a directory that can be passed but not
   * listed, owned by the claim's group, lets this claim's worker connect and no other.
   */
  private async linkSocket(socket: string, gid: number): Promise<string> {
    const dir = `${dirname(socket)}-w`;
    await mkdir(dir, { recursive: true, mode: 0o711 });
    await chmod(dir, 0o711);
    const path = join(dir, basename(socket));
    await rm(path, { force: true });
    await link(socket, path);
    await chown(path, 0, gid);
    await chmod(path, 0o660);
    return path;
  }
}

/** The worker's git must accept a work dir that is root's (the daemon's git relies on that ownership). */
function trustRepositories(env: Record<string, string>): void {
  const count = Number(env.GIT_CONFIG_COUNT ?? 0);
  const at = Number.isInteger(count) && count >= 0 ? count : 0;
  env[`GIT_CONFIG_KEY_${at}`] = "safe.directory";
  env[`GIT_CONFIG_VALUE_${at}`] = "*";
  env.GIT_CONFIG_COUNT = String(at + 1);
}
