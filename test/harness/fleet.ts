// A fleet of real processes: one coordinator, nodes joined with the real `muster-node join`, and the real CLI.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { BIN } from "./paths.js";
import { spawnProc, tempDir, type CoordinatorHandle, type Proc } from "./processes.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the `muster` CLI (or another bin) to completion. */
export function runBin(bin: string, args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${args.join(" ")} did not finish within ${timeoutMs}ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

export function cliEnv(c: CoordinatorHandle, dir: string) {
  return { MUSTER_URL: c.url, MUSTER_TOKEN: c.token, MUSTER_CLI_CONFIG: join(dir, "cli.json"), HOME: dir };
}

export async function muster(c: CoordinatorHandle, dir: string, ...args: string[]): Promise<CliResult> {
  return runBin(BIN.cli, args, cliEnv(c, dir));
}

export async function musterJson<T = any>(c: CoordinatorHandle, dir: string, ...args: string[]): Promise<T> {
  // Flags go before `--`; what follows it is the task's command line.
  const dash = args.indexOf("--");
  const withJson = dash === -1 ? [...args, "--json"] : [...args.slice(0, dash), "--json", ...args.slice(dash)];
  const res = await muster(c, dir, ...withJson);
  if (res.code !== 0) throw new Error(`muster ${args.join(" ")} exited ${res.code}: ${res.stderr}`);
  return JSON.parse(res.stdout) as T;
}

export interface NodeHandle {
  name: string;
  nodeId: string;
  config: string;
  dataDir: string;
  proc: Proc;
}

export async function joinNode(
  c: CoordinatorHandle,
  dir: string,
  key: string,
  name: string,
  opts: { labels?: string[]; capacity?: number; env?: Record<string, string> } = {},
): Promise<Omit<NodeHandle, "proc">> {
  const config = join(dir, `${name}.json`);
  const args = ["join", c.url, "--name", name, "--key", key, "--config", config, "--json", "--capacity", String(opts.capacity ?? 2)];
  for (const l of opts.labels ?? []) args.push("--label", l);
  const res = await runBin(BIN.node, args, { HOME: dir, ...opts.env });
  if (res.code !== 0) throw new Error(`muster-node join ${name} exited ${res.code}: ${res.stderr}`);
  const out = JSON.parse(res.stdout) as { nodeId: string };
  return { name, nodeId: out.nodeId, config, dataDir: join(dir, `${name}-data`) };
}

export function startNode(node: Omit<NodeHandle, "proc">, env: Record<string, string> = {}): NodeHandle {
  const proc = spawnProc(node.name, [BIN.node, "start", "--config", node.config], { MUSTER_NODE_DATA_DIR: node.dataDir, ...env });
  return { ...node, proc };
}

export { tempDir };
