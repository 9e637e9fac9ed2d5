// Runs git for the node's own bookkeeping (mirrors, worktrees, stats): never prompts, never inherits a repository
// location from the daemon's environment, and fails with the command and git's own words.
import { lstatSync, readFileSync, realpathSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { execa } from "execa";

/** Variables that would point git at some other repository than the one named on the command line. */
const REPO_LOCATION_VARS = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_COMMON_DIR",
  "GIT_NAMESPACE",
  "GIT_PREFIX",
];

/** Network operations (clone, fetch) may take a while on a big repository, but never forever. */
export const GIT_NETWORK_TIMEOUT_MS = 15 * 60_000;
const GIT_LOCAL_TIMEOUT_MS = 5 * 60_000;

export class GitError extends Error {
  override readonly name = "GitError";
  constructor(
    message: string,
    readonly args: readonly string[],
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface GitOptions {
  /** Directory git runs in (`-C`). */
  cwd: string;
  timeoutMs?: number;
  /** Extra variables, e.g. GIT_INDEX_FILE for a scratch index. */
  env?: Record<string, string>;
  signal?: AbortSignal;
}

/** Text as it may be shown or logged: credentials inside URLs (`https://user:token@host`) are cut out. */
export function withoutCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, "$1");
}

function gitEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && !REPO_LOCATION_VARS.includes(name)) env[name] = value;
  // Nobody is there to type a password; a missing credential must fail, not hang.
  env.GIT_TERMINAL_PROMPT = "0";
  env.GCM_INTERACTIVE = "never";
  // Output the node parses stays in one language.
  env.LC_ALL = "C";
  return { ...env, ...extra };
}

/**
 * A worker may rewrite its worktree's `.git` file (and, under bwrap, its gitdir's `commondir`) to point the daemon's
 * own git at a repository of its making, whose config (`core.fsmonitor`, filters) would run commands outside the
 * sandbox. So in a linked worktree git is told where its repository is, and that must be the mirror the node made:
 * <dataDir>/repos/<name>.git beside <dataDir>/work/<claim>.
 */
const real = (path: string) => {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
};

export function pinnedWorktree(cwd: string): Record<string, string> {
  const dotGit = join(cwd, ".git");
  let text: string;
  try {
    if (!lstatSync(dotGit).isFile()) return {};
    text = readFileSync(dotGit, "utf8");
  } catch {
    return {};
  }
  const gitdir = resolve(cwd, /^gitdir: (.+)$/m.exec(text)?.[1]?.trim() ?? "");
  const common = dirname(dirname(gitdir));
  const trusted =
    basename(dirname(gitdir)) === "worktrees" &&
    basename(dirname(common)) === "repos" &&
    real(dirname(dirname(common))) === real(dirname(dirname(resolve(cwd)))) &&
    common.endsWith(".git");
  if (!trusted) throw new GitError(`${dotGit} does not point into the node's mirror of its repository`, [], "");
  return { GIT_DIR: gitdir, GIT_COMMON_DIR: common, GIT_WORK_TREE: resolve(cwd) };
}

/** Runs `git <args>`; resolves with stdout (trailing newline cut), rejects with a GitError. */
export async function git(args: readonly string[], { cwd, timeoutMs = GIT_LOCAL_TIMEOUT_MS, env, signal }: GitOptions): Promise<string> {
  const result = await execa("git", args, {
    cwd,
    env: gitEnv({ ...pinnedWorktree(cwd), ...env }),
    extendEnv: false,
    stdin: "ignore",
    reject: false,
    timeout: timeoutMs,
    ...(signal ? { cancelSignal: signal } : {}),
    maxBuffer: 64 * 1024 * 1024,
    stripFinalNewline: true,
  });
  if (result.exitCode === 0) return result.stdout;
  const stderr = (result.stderr || "").trim();
  let why: string;
  if (result.isCanceled) why = "stopped";
  else if (result.timedOut) why = `timed out after ${Math.round(timeoutMs / 1000)} s`;
  else if (result.exitCode === undefined) why = result.originalMessage || result.shortMessage || "could not run git";
  else why = lastLines(stderr) || `exit code ${result.exitCode}`;
  // The error may be logged with its fields: a URL's credentials stay out of those too.
  throw new GitError(`git ${args[0] ?? ""} failed: ${why}`, args.map(withoutCredentials), withoutCredentials(stderr));
}

/** The end of git's complaint, where it says what went wrong; long enough to read, short enough for a message. */
function lastLines(stderr: string): string {
  const lines = withoutCredentials(stderr).split("\n").filter((l) => l.trim() !== "");
  return lines.slice(-3).join(" / ").slice(0, 800);
}
