// What the supervisor asks of a sandbox: per claim, once its work dir is ready, how each of its processes is
// started (command, environment, uid/gid), and what to undo when the claim ends.
import type { NetworkPolicy, SandboxMode } from "@muster/protocol";

/** The node cannot sandbox its workers (or one claim) as configured. */
export class SandboxError extends Error {
  override readonly name = "SandboxError";
}

export interface ClaimSandboxInput {
  claimId: string;
  workdir: string;
  /** The worker's environment as built for the claim; it names the claim's ask socket. */
  env: Readonly<Record<string, string>>;
  /** `none` when the task asks for no network; null for the node's default. */
  network: NetworkPolicy | null;
}

export interface SandboxedSpawn {
  command: string[];
  env: Record<string, string>;
  uid?: number;
  gid?: number;
}

export interface ClaimSandbox {
  /** How one process of the claim (the agent, its verify step) is started. */
  wrap(command: readonly string[]): SandboxedSpawn;
  /** Undoes what enter() set up; never rejects. */
  close(): Promise<void>;
}

export interface WorkerSandbox {
  readonly mode: SandboxMode;
  /** The network a worker gets unless its task asks for none. */
  readonly network: NetworkPolicy;
  /** Sets the claim's sandbox up; rejects with a SandboxError the claim fails with. */
  enter(input: ClaimSandboxInput): Promise<ClaimSandbox>;
}

/** Workers run as the daemon's own user: nothing kept from them but the daemon's environment variables. */
export const NO_SANDBOX: WorkerSandbox = {
  mode: "none",
  network: "on",
  async enter({ env, network }) {
    if (network === "none") throw new SandboxError("this node cannot run a worker without network (its sandbox is none)");
    return { wrap: (command) => ({ command: [...command], env: { ...env } }), close: async () => {} };
  },
};
