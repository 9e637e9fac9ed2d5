// Approval gates: before a task's verify step or before it counts as done, a person answers yes or no to a
// question that says what the task changed.
import { formatDuration, type TaskSpec, type VerifyResult, type WorkspaceResult } from "@muster/protocol";
import type { AskChannel } from "../asks/channel.js";
import type { PreparedWorkspace, Workspaces } from "../workspace/workspaces.js";
import type { StopCause } from "./outcome.js";

export type GateName = "verify" | "done";
export type GateDecision = { kind: "approved" } | { kind: "refused"; message: string } | { kind: "stopped"; cause: StopCause };

/** Bounds on the question: the task's words and the diff stat, so an ask stays readable (and under 8000 chars). */
const MAX_TASK_TEXT = 300;
const MAX_DIFF_STAT = 3000;

export interface GateContext {
  claimId: string;
  taskId: string;
  task: TaskSpec;
  workspace: { prepared: PreparedWorkspace; workspaces: Workspaces } | null;
  verify: VerifyResult | null;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function describeChange(ws: WorkspaceResult): string {
  const change = `${ws.filesChanged} file${ws.filesChanged === 1 ? "" : "s"} changed, +${ws.insertions} -${ws.deletions}`;
  return `Branch ${ws.branch} from ${ws.base.slice(0, 12)}: ${change}${ws.dirty ? " (includes uncommitted changes)" : ""}`;
}

/** The question for `gate`: what is approved, the task in short, and for a repository what changed. */
export async function gateQuestion(gate: GateName, ctx: GateContext): Promise<string> {
  const { task } = ctx;
  const lines = [
    gate === "verify"
      ? `Run the verify step of task ${ctx.taskId} (${oneLine(task.verify ?? "", 200)})?`
      : `Accept the result of task ${ctx.taskId}?`,
    task.prompt !== null ? `Prompt: ${oneLine(task.prompt, MAX_TASK_TEXT)}` : `Command: ${oneLine(task.argv.join(" "), MAX_TASK_TEXT)}`,
  ];
  if (ctx.verify)
    lines.push(`Verify ${ctx.verify.passed ? "passed" : "failed"} in ${formatDuration(ctx.verify.durationMs)}.`);
  if (ctx.workspace) {
    const { prepared, workspaces } = ctx.workspace;
    try {
      lines.push(describeChange(await workspaces.result(prepared)));
      const stat = await workspaces.diffStat(prepared, MAX_DIFF_STAT);
      if (stat.trim() !== "") lines.push("", stat);
    } catch (err) {
      lines.push(`(cannot read the changes: ${(err as Error).message.slice(0, 300)})`);
    }
  }
  return lines.join("\n");
}

/**
 * Raises the gate's ask and waits for the answer, or for the node to stop the claim. Only "yes" goes on; a
 * channel that gives up without an answer for a claim the node did not stop counts as not approved.
 */
export async function approve(
  gate: GateName,
  ctx: GateContext,
  asks: AskChannel | null,
  stopped: Promise<StopCause>,
): Promise<GateDecision> {
  if (!asks) return { kind: "refused", message: `this node cannot ask for approval (gate ${gate})` };
  const question = await gateQuestion(gate, ctx);
  const asked = asks.ask(ctx.claimId, { question, options: ["yes", "no"], gate }).then(
    (reply) => ({ kind: "reply" as const, reply }),
    (err: unknown) => ({ kind: "failed" as const, err }),
  );
  const first = await Promise.race([asked, stopped.then((cause) => ({ kind: "stopped" as const, cause }))]);
  if (first.kind === "stopped") return first;
  if (first.kind === "failed") {
    // The channel gives up when the claim ends; the stop may be on its way in the same turn.
    const cause = await Promise.race([stopped, new Promise<null>((r) => setTimeout(() => r(null), 0))]);
    if (cause) return { kind: "stopped", cause };
    return { kind: "refused", message: `no answer at the ${gate} gate: ${(first.err as Error)?.message ?? String(first.err)}` };
  }
  const { answer, answeredBy } = first.reply;
  if (answer.trim().toLowerCase() === "yes") return { kind: "approved" };
  return { kind: "refused", message: `not approved by ${answeredBy}: ${answer}` };
}
