// Finding agent executables the way a shell would, without running a shell.
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { startWorker } from "../supervisor/worker.js";

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path `name` runs from: a name with a slash is taken as a path, any other name is
 * looked up in each PATH entry in order. Null when there is none.
 */
export async function findExecutable(name: string, pathEnv: string, cwd = process.cwd()): Promise<string | null> {
  if (name.includes("/")) {
    const file = isAbsolute(name) ? name : resolve(cwd, name);
    return (await isExecutableFile(file)) ? file : null;
  }
  for (const dir of pathEnv.split(delimiter)) {
    // An empty PATH entry means the current directory; a daemon should not run whatever lies there.
    if (dir === "" || !isAbsolute(dir)) continue;
    const file = join(dir, name);
    if (await isExecutableFile(file)) return file;
  }
  return null;
}

/**
 * First line of `<file> --version`, or null when it fails or takes longer than the timeout. It runs as
 * a worker does, in its own process group, so a wrapper script's children cannot keep it waiting.
 */
export async function readVersion(
  file: string,
  { timeoutMs = 2000, env = {} }: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<string | null> {
  let stdout = "";
  const worker = startWorker({
    command: [file, "--version"],
    cwd: tmpdir(),
    env,
    timeoutMs,
    killGraceMs: 0,
    onRecord: (record) => {
      if (record.kind === "log" && record.stream === "stdout" && stdout.length < 4096) stdout += record.text;
    },
  });
  const end = await worker.ended;
  if (end.kind !== "exited" || end.exitCode !== 0 || end.stoppedBy) return null;
  const line = stdout.split("\n").map((l) => l.trim()).find((l) => l !== "");
  return line ? line.slice(0, 100) : null;
}
