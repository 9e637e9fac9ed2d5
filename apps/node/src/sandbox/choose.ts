// Which sandbox a node runs its workers in: what the operator asked for, checked against what the machine can do,
// probed once at start. Nothing asked: bwrap if it works, else a dedicated user if the daemon is root.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { NetworkPolicy, SandboxMode } from "@muster/protocol";
import { BWRAP_PROBE_ARGS } from "./bwrap.js";
import { SandboxError } from "./sandbox.js";

export interface WorkerUser {
  name: string;
  uid: number;
  gid: number;
}

/** What the machine offers, found once at start. */
export interface MachineSandboxes {
  /** Null when bwrap runs; else why not. */
  bwrapProblem: string | null;
  root: boolean;
  /** The dedicated worker user, when it exists. */
  user: WorkerUser | null;
}

export interface SandboxChoiceInput {
  configured: SandboxMode | undefined;
  network: NetworkPolicy;
  userName: string;
  machine: MachineSandboxes;
}

/** The mode to run; throws SandboxError with one line saying what to do. */
export function chooseSandbox({ configured, network, userName, machine }: SandboxChoiceInput): SandboxMode {
  const mode = configured ?? defaultMode(machine, userName);
  if (mode === "bwrap" && machine.bwrapProblem !== null)
    throw new SandboxError(`sandbox bwrap does not work here: ${machine.bwrapProblem}`);
  if (mode === "user") {
    if (!machine.root) throw new SandboxError("sandbox user needs the node daemon to run as root, to start workers as another user");
    if (!machine.user)
      throw new SandboxError(`sandbox user: no user ${userName} (create it: useradd --system --no-create-home ${userName}, or set sandboxUser)`);
    if (machine.user.uid === 0) throw new SandboxError(`sandbox user: ${userName} is uid 0; pick an unprivileged user`);
  }
  if (network === "none" && mode !== "bwrap")
    throw new SandboxError(`network none needs sandbox bwrap (this node would use ${mode})`);
  return mode;
}

function defaultMode(machine: MachineSandboxes, userName: string): SandboxMode {
  if (machine.bwrapProblem === null) return "bwrap";
  if (machine.root && machine.user) return "user";
  const user = machine.root ? `no user ${userName} exists` : "the daemon does not run as root";
  throw new SandboxError(
    `no sandbox for workers: bwrap does not work here (${machine.bwrapProblem}) and ${user}; ` +
      `set --sandbox bwrap|user, or --sandbox none to run workers as the daemon's own user`,
  );
}

/** Runs bwrap once the way a worker would; null when that worked. */
export function probeBwrap(env: NodeJS.ProcessEnv): string | null {
  const run = spawnSync("bwrap", BWRAP_PROBE_ARGS, { env, stdio: ["ignore", "ignore", "pipe"], timeout: 10_000, encoding: "utf8" });
  if (run.error) return (run.error as NodeJS.ErrnoException).code === "ENOENT" ? "bwrap is not on PATH" : run.error.message;
  if (run.status === 0) return null;
  const why = run.stderr.trim().split("\n").pop() ?? "";
  return why ? `a trial run failed: ${why}` : `a trial run exited with ${run.status ?? run.signal}`;
}

/** The user's uid and primary gid, from the system's user database. */
export function lookupUser(name: string, env: NodeJS.ProcessEnv): WorkerUser | null {
  const id = (flag: string) => {
    // The daemon's PATH may be a worker's idea of one; `id` lives in the system's own bin dirs.
    const path = [env.PATH, "/usr/bin", "/bin"].filter(Boolean).join(delimiter);
    const run = spawnSync("id", [flag, name], { env: { ...env, PATH: path }, stdio: ["ignore", "pipe", "ignore"], encoding: "utf8", timeout: 10_000 });
    const value = Number(run.stdout?.trim());
    return run.status === 0 && Number.isInteger(value) ? value : null;
  };
  const uid = id("-u");
  const gid = id("-g");
  return uid === null || gid === null ? null : { name, uid, gid };
}

/** Each part is probed when first read, so a node told `none` (or finding bwrap) runs no needless trial. */
export function probeMachine(userName: string, env: NodeJS.ProcessEnv): MachineSandboxes {
  const once = <T>(probe: () => T): (() => T) => {
    let value: { v: T } | null = null;
    return () => (value ??= { v: probe() }).v;
  };
  const bwrapProblem = once(() => probeBwrap(env));
  const user = once(() => lookupUser(userName, env));
  return {
    get bwrapProblem() {
      return bwrapProblem();
    },
    root: typeof process.getuid === "function" && process.getuid() === 0,
    get user() {
      return user();
    },
  };
}

/** The first executable `name` on PATH, or null. */
export function findOnPath(name: string, pathEnv: string): string | null {
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}
