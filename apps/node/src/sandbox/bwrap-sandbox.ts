// Workers under bubblewrap: the claim sees the machine read-only and, of the node's own files, only its work dir,
// its ask socket, the muster CLI and the parts of its repository's mirror a commit needs.
import { mkdir, realpath } from "node:fs/promises";
import { accessSync, constants } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LOCAL_SOCKET_ENV, type NetworkPolicy } from "@muster/protocol";
import { bwrapArgs } from "./bwrap.js";
import { worktreeGit } from "./git-paths.js";
import { findOnPath } from "./choose.js";
import { SandboxError, type ClaimSandbox, type ClaimSandboxInput, type WorkerSandbox } from "./sandbox.js";

export interface BwrapSandboxOptions {
  /** bwrap as found on PATH at start. */
  bwrap: string;
  dataDir: string;
  configPath: string;
  musterBinDir: string | null;
  network: NetworkPolicy;
}

/** The daemon's own code and node binary stay visible: the muster CLI inside the sandbox runs them. */
const NODE_CODE = [fileURLToPath(new URL("../../", import.meta.url)), process.execPath];
/** The installation the node runs from (the workspace with apps/ and node_modules/): the CLI and MCP server live there. */
const INSTALL_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** What a worker needs from under /tmp, which it otherwise sees as an empty private dir. */
async function underTmp(env: Record<string, string>): Promise<string[]> {
  const dirs = [INSTALL_ROOT, process.execPath.replace(/\/[^/]+$/, ""), ...(env.PATH ?? "").split(":").filter(Boolean)];
  // Only what exists: bwrap refuses to bind a missing source (npm puts every ancestor's node_modules/.bin on PATH).
  const found = await Promise.all(dirs.map((dir) => realpath(dir).catch(() => null)));
  return [...new Set(found.filter((dir): dir is string => dir !== null && within(dir, "/tmp") && dir !== "/tmp"))];
}

/** Where the sandbox's execvp would find `file`: a path as it is (from the work dir), a bare name on PATH. */
function findCommand(file: string, cwd: string, pathEnv: string): boolean {
  if (file === "") return false;
  if (file.includes("/")) {
    try {
      accessSync(resolve(cwd, file), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
  return findOnPath(file, pathEnv) !== null;
}

const within = (path: string, dir: string) => path === dir || path.startsWith(`${dir.replace(/\/$/, "")}/`);
const real = (path: string) => realpath(path).catch(() => path);

export class BwrapSandbox implements WorkerSandbox {
  readonly mode = "bwrap";
  readonly network: NetworkPolicy;

  constructor(private readonly opts: BwrapSandboxOptions) {
    this.network = opts.network;
  }

  async enter({ workdir, env, network }: ClaimSandboxInput): Promise<ClaimSandbox> {
    const { dataDir, configPath, musterBinDir } = this.opts;
    const realWorkdir = await real(workdir);
    const configDir = await real(dirname(configPath));
    const code = await Promise.all(NODE_CODE.map(real));
    // A config dir that holds the node's own code cannot go as a whole; then only the file is hidden.
    const hideConfigDir = !code.some((path) => within(path, configDir));
    const hidden = [await real(dataDir), ...(hideConfigDir ? [configDir] : [])];
    const hiddenFiles = hideConfigDir ? [] : [await real(configPath)];
    const readOnly: string[] = musterBinDir ? [await real(musterBinDir)] : [];
    const writable = [realWorkdir];
    const socket = env[LOCAL_SOCKET_ENV];
    if (socket) {
      // Other claims' sockets share its directory, wherever that is.
      hidden.push(await real(dirname(socket)));
      writable.push(await real(socket));
    }
    const git = await worktreeGit(realWorkdir);
    if (git) {
      readOnly.push(await real(git.mirror));
      for (const dir of git.writable) await mkdir(dir, { recursive: true });
      writable.push(...(await Promise.all([git.gitdir, ...git.writable].map(real))));
    }
    const visible = await underTmp(env);
    const args = bwrapArgs({ workdir: realWorkdir, visible, hidden, hiddenFiles, readOnly, writable, network: network ?? this.network });
    return {
      wrap: (command) => {
        // Else bwrap's own exit 1 would read as the worker's: a command that is not there never started.
        if (!findCommand(command[0] ?? "", realWorkdir, env.PATH ?? "")) throw new SandboxError(`command not found: ${command[0] ?? ""}`);
        return { command: [this.opts.bwrap, ...args, "--", ...command], env: { ...env } };
      },
      close: async () => {},
    };
  }
}
