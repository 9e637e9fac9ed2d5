// A worker's environment is built from nothing: an allowlist of the daemon's env, the task's env, Muster's vars.
import { delimiter, join } from "node:path";

const ALLOWED = new Set(["PATH", "HOME", "USER", "LOGNAME", "LANG", "TERM", "TZ", "TMPDIR", "SHELL"]);

/** The daemon's own settings (config path, data dir) never reach a worker, even when passEnv names them. */
const NEVER_PASSED = /^MUSTER_NODE_/;

/** Where a claim's prompt and result files live: inside its git-excluded .muster dir, writable in any sandbox. */
export function claimFiles(workdir: string): { promptFile: string; resultFile: string } {
  return { promptFile: join(workdir, ".muster", "prompt.md"), resultFile: join(workdir, ".muster", "result.json") };
}

export interface WorkerEnvOptions {
  daemonEnv: NodeJS.ProcessEnv;
  /** Extra names from the node config's `passEnv`. */
  passEnv: readonly string[];
  taskEnv: Readonly<Record<string, string>>;
  taskId: string;
  claimId: string;
  attempt: number;
  workdir: string;
  /** Names the claim's local endpoint (MUSTER_ASK_SOCKET, MUSTER_ASK_SECRET); a task cannot override it. */
  askEnv?: Readonly<Record<string, string>>;
  /** Put first on PATH, so `muster ask` runs the node's own CLI. */
  musterBinDir?: string | null;
  /** The task carries a prompt, written to the claim's prompt file: name it in MUSTER_PROMPT_FILE. */
  prompt?: boolean;
}

export function workerEnv(opts: WorkerEnvOptions): Record<string, string> {
  const { daemonEnv, passEnv, taskEnv, taskId, claimId, attempt, workdir, askEnv = {}, musterBinDir = null, prompt = false } = opts;
  const extra = new Set(passEnv.filter((name) => !NEVER_PASSED.test(name)));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(daemonEnv)) {
    if (value === undefined) continue;
    if (ALLOWED.has(name) || name.startsWith("LC_") || extra.has(name)) env[name] = value;
  }
  Object.assign(env, taskEnv);
  env.MUSTER_TASK_ID = taskId;
  env.MUSTER_CLAIM_ID = claimId;
  env.MUSTER_ATTEMPT = String(attempt);
  env.MUSTER_WORKDIR = workdir;
  const files = claimFiles(workdir);
  env.MUSTER_RESULT_FILE = files.resultFile;
  if (prompt) env.MUSTER_PROMPT_FILE = files.promptFile;
  Object.assign(env, askEnv);
  if (musterBinDir) env.PATH = env.PATH ? `${musterBinDir}${delimiter}${env.PATH}` : musterBinDir;
  return env;
}
