// How a node keeps its workers away from itself and from each other (DESIGN §10), as it reports it.
import { z } from "zod";

/**
 * `bwrap`: bubblewrap namespaces (own PID, IPC and mount namespace; the node's files hidden).
 * `user`: a dedicated unprivileged uid, and a group of its own per claim. `none`: the daemon's own user.
 */
export const SandboxMode = z.enum(["bwrap", "user", "none"]);
export type SandboxMode = z.infer<typeof SandboxMode>;

/** A worker's network: `on`, or `none` (no interface but loopback of its own; needs bwrap). */
export const NetworkPolicy = z.enum(["on", "none"]);
export type NetworkPolicy = z.infer<typeof NetworkPolicy>;

/** What a node reports of its sandbox in `hello`. */
export const NodeSandbox = z.object({
  mode: SandboxMode,
  /** The network a worker gets unless its task asks for none. */
  network: NetworkPolicy,
});
export type NodeSandbox = z.infer<typeof NodeSandbox>;
