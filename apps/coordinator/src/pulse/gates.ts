// Mechanical gates: a move the decider marks irreversible, or whose command matches a gate pattern, waits for a
// person's "yes" before it is carried out.
import { workerTaskRequest, type PulseMove } from "@muster/protocol";

/** The command text a move would run, for matching against the gate patterns; null for moves that run nothing. */
export function commandOf(move: PulseMove): string | null {
  if (move.move === "run_command") return move.command.join(" ");
  if (move.move === "start_worker") {
    const task = workerTaskRequest(move);
    if (!task.success) return null;
    return [...(task.data.argv ?? []), ...(task.data.verify ? [task.data.verify] : [])].join(" ") || null;
  }
  return null;
}

/** Why the move needs approval, or null when it may run at once. */
export function gateReason(move: PulseMove, patterns: readonly RegExp[]): string | null {
  if (move.irreversible) return "the decider marked it irreversible";
  const command = commandOf(move);
  if (command === null) return null;
  const hit = patterns.find((p) => p.test(command));
  return hit ? `its command matches the gate pattern /${hit.source}/` : null;
}

export function compileGates(patterns: readonly string[]): RegExp[] {
  return patterns.map((p) => new RegExp(p, "i"));
}
