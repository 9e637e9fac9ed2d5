// How a worker's end becomes the outcome a claim reports in claim.done.
import { formatDuration, type ClaimOutcome, type FailureReason } from "@muster/protocol";

/**
 * Why the node stopped a worker itself; `lost`: the node's lease ran out and the task must not run on unfenced;
 * `budget`: the cost the agent reported crossed the task's limit; `stuck`: no output for the idle timeout.
 */
export type StopCause = "timeout" | "revoked" | "shutdown" | "drain_deadline" | "lost" | "budget" | "stuck";

/** The reported cost that crossed the task's limit (USD). */
export interface BudgetCrossing {
  usd: number;
  limitUsd: number;
}

export type WorkerEnd =
  | {
      kind: "exited";
      exitCode: number | null;
      signal: string | null;
      stoppedBy: StopCause | null;
      budget?: BudgetCrossing;
      /** The idle timeout that ran out (stoppedBy stuck). */
      idleMs?: number;
      /** What the agent itself said went wrong (a parsed summary that reports failure). */
      agentError?: string;
    }
  | { kind: "spawn_failed"; message: string };

/** Dollars as people write them: no float noise, no trailing zeros. */
export function formatUsd(usd: number): string {
  return String(Number(usd.toFixed(6)));
}

export function claimOutcome(end: WorkerEnd, timeoutMs: number): ClaimOutcome {
  return { ...processOutcome(end, timeoutMs), workspace: null, verify: null };
}

type ProcessOutcome = Omit<ClaimOutcome, "workspace" | "verify">;

function processOutcome(end: WorkerEnd, timeoutMs: number): ProcessOutcome {
  if (end.kind === "spawn_failed")
    return { status: "failed", exitCode: null, signal: null, reason: "spawn_failed", message: end.message.slice(0, 4000) };
  const { exitCode, signal, stoppedBy } = end;
  const base = { exitCode, signal };
  switch (stoppedBy) {
    case "timeout":
      return { status: "failed", ...base, reason: "timeout", message: `timed out after ${timeoutMs} ms` };
    case "revoked":
      return { status: "cancelled", ...base, reason: "revoked", message: "the coordinator revoked the claim" };
    case "shutdown":
      return { status: "failed", ...base, reason: "interrupted", message: "the node daemon shut down" };
    case "drain_deadline":
      return { status: "failed", ...base, reason: "interrupted", message: "the node's drain deadline passed" };
    case "lost":
      return { status: "failed", ...base, reason: "lost", message: "the node lost its lease with the coordinator" };
    case "stuck":
      return { status: "failed", ...base, reason: "stuck", message: `no output for ${formatDuration(end.idleMs ?? 0)}` };
    case "budget": {
      const message = end.budget
        ? `cost $${formatUsd(end.budget.usd)} crossed the limit $${formatUsd(end.budget.limitUsd)}`
        : "the cost limit was crossed";
      return { status: "failed", ...base, reason: "budget", message };
    }
    case null:
      break;
  }
  if (exitCode === 0) return { status: "succeeded", ...base, reason: null, message: null };
  if (exitCode !== null) {
    // The agent's own account of what went wrong says more than its exit code.
    const said = end.agentError?.replace(/\s+/g, " ").trim();
    const message = said ? `exited with code ${exitCode}: ${said}`.slice(0, 4000) : `exited with code ${exitCode}`;
    return { status: "failed", ...base, reason: "exit_code", message };
  }
  return { status: "failed", ...base, reason: "signal", message: `killed by ${signal ?? "a signal"}` };
}

/** Fails an attempt whose agent had exited well (verify, an approval gate); the agent's exit stays on record. */
export function failedAfterAgent(agent: ClaimOutcome, reason: FailureReason, message: string): ClaimOutcome {
  return { ...agent, status: "failed", reason, message: message.slice(0, 4000) };
}
