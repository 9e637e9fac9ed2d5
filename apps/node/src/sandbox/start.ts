// The node's sandbox, settled once at start: the mode asked for (flag, env or config) checked against the machine.
import type { NetworkPolicy, SandboxMode } from "@muster/protocol";
import type { Logger } from "../log.js";
import { BwrapSandbox } from "./bwrap-sandbox.js";
import { chooseSandbox, findOnPath, probeMachine, type MachineSandboxes } from "./choose.js";
import { NO_SANDBOX, SandboxError, type WorkerSandbox } from "./sandbox.js";
import { UserSandbox } from "./user-sandbox.js";

export interface StartSandboxOptions {
  configured: SandboxMode | undefined;
  network: NetworkPolicy;
  userName: string;
  dataDir: string;
  configPath: string;
  musterBinDir: string | null;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** What the machine offers; probed when not given. */
  machine?: MachineSandboxes;
}

/** Throws SandboxError (one line for the operator) when the node cannot sandbox its workers as asked. */
export async function startSandbox(opts: StartSandboxOptions): Promise<WorkerSandbox> {
  const { configured, network, userName, env, log } = opts;
  const machine = opts.machine ?? probeMachine(userName, env);
  const mode = chooseSandbox({ configured, network, userName, machine });
  if (mode === "none") {
    log.warn("workers run without a sandbox (sandbox none): they can read the daemon's environment, the node's key and other claims' files");
    return NO_SANDBOX;
  }
  if (mode === "bwrap") {
    const bwrap = findOnPath("bwrap", env.PATH ?? "");
    if (!bwrap) throw new SandboxError("sandbox bwrap: bwrap is not on PATH");
    log.info({ sandbox: mode, network }, "workers run under bubblewrap");
    return new BwrapSandbox({ bwrap, dataDir: opts.dataDir, configPath: opts.configPath, musterBinDir: opts.musterBinDir, network });
  }
  const sandbox = new UserSandbox({ user: machine.user!, dataDir: opts.dataDir, log: log.child({ component: "sandbox" }) });
  await sandbox.prepareNode();
  log.info({ sandbox: mode, user: machine.user!.name }, "workers run as their own user");
  return sandbox;
}
