// Puts the `muster` CLI on a worker's PATH, so `muster ask` and `muster told` work inside it. The CLI is the
// config's `musterBin`, else the nearest node_modules/.bin/muster above this package (where a workspace or an npm
// install links it). Workers get a directory holding only a `muster` wrapper, so nothing else the daemon's
// node_modules/.bin holds shadows the worker's own tools.
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The nearest `node_modules/.bin/muster` at or above `from`, resolved to the real file; null when none. */
export function findMusterCli(from: string = dirname(fileURLToPath(import.meta.url))): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", ".bin", "muster");
    if (existsSync(candidate)) return realpathSync(candidate);
    if (dirname(dir) === dir) return null;
  }
}

/** A configured path may name the CLI itself or a directory holding a `muster`. */
function configuredCli(configured: string): string {
  const path = statSync(configured).isDirectory() ? join(configured, "muster") : configured;
  return realpathSync(path);
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A JavaScript CLI runs on the daemon's own node, which a worker's PATH may not have. */
function runsOnNode(cli: string): boolean {
  if (/\.[mc]?js$/.test(cli)) return true;
  try {
    return /^#!.*\bnode\b/.test(readFileSync(cli, "utf8").slice(0, 200));
  } catch {
    return false;
  }
}

export interface MusterBinOptions {
  /** The config's `musterBin`: the CLI or a directory holding it. */
  configured?: string | undefined;
  /** Where the wrapper directory goes (<dataDir>/bin). */
  binDir: string;
  /** Searched upward for node_modules/.bin/muster when nothing is configured. */
  searchFrom?: string;
  nodePath?: string;
}

/** Writes <binDir>/muster and returns binDir for the front of a worker's PATH; null when no CLI is found. */
export function prepareMusterBin({ configured, binDir, searchFrom, nodePath = process.execPath }: MusterBinOptions): string | null {
  const cli = configured !== undefined ? configuredCli(configured) : findMusterCli(searchFrom);
  if (cli === null) return null;
  const exec = runsOnNode(cli) ? `exec ${quote(nodePath)} ${quote(cli)} "$@"` : `exec ${quote(cli)} "$@"`;
  mkdirSync(binDir, { recursive: true, mode: 0o755 });
  const target = join(binDir, "muster");
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, `#!/bin/sh\n${exec}\n`, { mode: 0o755 });
  renameSync(tmp, target);
  return binDir;
}
