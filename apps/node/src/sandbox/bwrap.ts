// The bubblewrap command line a worker runs under: its own PID, IPC and mount namespaces, the machine read-only,
// the node's own paths hidden under empty tmpfs, and only the claim's paths bound back in.
import { sep } from "node:path";
import type { NetworkPolicy } from "@muster/protocol";

export interface BwrapSpec {
  /** The worker's cwd. */
  workdir: string;
  /**
   * Bound back in read-only under the private /tmp before anything is hidden, so a hidden dir inside one stays
   * hidden: the node's own installation and PATH dirs when they live under /tmp.
   */
  visible?: readonly string[];
  /** Directories covered by an empty tmpfs: the node's data dir and config dir. */
  hidden: readonly string[];
  /** Single files covered by /dev/null, for a secret whose directory cannot be hidden as a whole. */
  hiddenFiles?: readonly string[];
  /** Bound back in read-only (the muster CLI's directory, the task's mirror). */
  readOnly?: readonly string[];
  /** Bound back in writable (the work dir, the claim's ask socket, the parts of the mirror a commit writes). */
  writable: readonly string[];
  network: NetworkPolicy;
}

const depth = (path: string) => path.split(sep).filter(Boolean).length;
const within = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/** Outermost first; a dir inside another hidden one (or inside the private /tmp) is hidden already. */
function outermost(dirs: readonly string[], alreadyHidden: readonly string[]): string[] {
  const sorted = [...new Set(dirs)].sort((a, b) => depth(a) - depth(b));
  const kept: string[] = [];
  for (const dir of sorted) if (![...alreadyHidden, ...kept].some((h) => within(dir, h))) kept.push(dir);
  return kept;
}

/** The bwrap options before the worker's own command (which follows a `--`). */
export function bwrapArgs(spec: BwrapSpec): string[] {
  const args = ["--unshare-pid", "--unshare-ipc", "--die-with-parent", "--cap-drop", "ALL"];
  if (spec.network === "none") args.push("--unshare-net");
  args.push("--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc");
  // The worker is uid 0 without capabilities: sysctls would still be writable to it through a fresh /proc.
  args.push("--ro-bind", "/proc/sys", "/proc/sys", "--ro-bind-try", "/proc/sysrq-trigger", "/proc/sysrq-trigger");
  args.push("--tmpfs", "/tmp");
  for (const dir of outermost(spec.visible ?? [], [])) args.push("--ro-bind", dir, dir);
  // Under the private /tmp a dir is gone already, unless a visible dir brought it back.
  const visible = spec.visible ?? [];
  const goneWithTmp = (dir: string) => within(dir, "/tmp") && !visible.some((v) => within(dir, v));
  for (const dir of outermost(spec.hidden, []).filter((d) => !goneWithTmp(d))) args.push("--tmpfs", dir);
  for (const file of spec.hiddenFiles ?? []) args.push("--ro-bind", "/dev/null", file);
  // Parents before children, so a writable dir inside a read-only mirror stays writable.
  const binds = [
    ...(spec.readOnly ?? []).map((path) => ({ path, flag: "--ro-bind" })),
    ...spec.writable.map((path) => ({ path, flag: "--bind" })),
  ].sort((a, b) => depth(a.path) - depth(b.path));
  for (const { path, flag } of binds) args.push(flag, path, path);
  args.push("--chdir", spec.workdir);
  return args;
}

/** The trial run that tells whether bubblewrap works here (namespaces allowed, /proc mountable). */
export const BWRAP_PROBE_ARGS = [
  "--unshare-pid",
  "--unshare-ipc",
  "--die-with-parent",
  "--cap-drop",
  "ALL",
  "--ro-bind",
  "/",
  "/",
  "--dev",
  "/dev",
  "--proc",
  "/proc",
  "--ro-bind",
  "/proc/sys",
  "/proc/sys",
  "--tmpfs",
  "/tmp",
  "true",
];
