// One attempt of a claim from start to result: its work dir (a git worktree for a repository), the agent,
// the approval gates, the verify step, and what the attempt changed.
import { constants } from "node:fs";
import { lstat, mkdir, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { ClaimOutcome, VerifyResult } from "@muster/protocol";
import type { AgentEntry, AgentRun } from "../agents/catalog.js";
import type { AgentOutputParser } from "../agents/parsers/index.js";
import type { AskChannel } from "../asks/channel.js";
import type { Logger } from "../log.js";
import { WorkspaceError, type PreparedWorkspace, type Workspaces } from "../workspace/workspaces.js";
import { approve, type GateContext, type GateName } from "./gate.js";
import { claimFiles } from "./env.js";
import { claimOutcome, failedAfterAgent, type StopCause, type WorkerEnd } from "./outcome.js";
import { readClaimResult } from "./result.js";
import type { HeldClaim } from "./supervisor.js";

export interface ProcessOptions {
  timeoutMs: number;
  /** False for a step after the agent: the claim's `started` record names the agent. */
  announce: boolean;
  parser?: AgentOutputParser;
  maxCostUsd?: number | null;
}

/** What an attempt gets from the supervisor that holds its claim. */
export interface AttemptContext {
  readonly claim: HeldClaim;
  readonly agent: AgentEntry;
  readonly parser: AgentOutputParser | undefined;
  readonly workspaces: Workspaces;
  readonly asks: AskChannel | null;
  readonly log: Logger;
  readonly now: () => number;
  /** Runs one process of the attempt as the claim's worker; one asked for after a stop ends as stopped at once. */
  spawn(command: readonly string[], opts: ProcessOptions): Promise<WorkerEnd>;
  /** Adds a progress record to the claim's stream. */
  progress(message: string): void;
  /** Why the node stopped the claim, or null while it may go on. */
  stopCause(): StopCause | null;
  /** Settles with the cause once the node stops the claim. */
  readonly stopped: Promise<StopCause>;
  /** Aborted when the node stops the claim, for the git work before the agent starts. */
  readonly signal: AbortSignal;
}

const stoppedEnd = (cause: StopCause, from?: ClaimOutcome): WorkerEnd => ({
  kind: "exited",
  exitCode: from?.exitCode ?? null,
  signal: from?.signal ?? null,
  stoppedBy: cause,
});

/** Runs the attempt; never rejects. */
export async function runAttempt(ctx: AttemptContext): Promise<ClaimOutcome> {
  const { claim } = ctx;
  const { promptFile, resultFile } = claimFiles(claim.workdir);
  const run: AgentRun = { task: claim.task, workdir: claim.workdir, promptFile };
  let prepared: PreparedWorkspace | null;
  try {
    prepared = await prepareWorkdir(ctx, run);
  } catch (err) {
    const cause = ctx.stopCause();
    if (cause) return claimOutcome(stoppedEnd(cause), claim.task.timeoutMs);
    if (err instanceof WorkspaceError) {
      ctx.log.warn({ claimId: claim.claimId, err }, "workspace failed");
      return { ...claimOutcome({ kind: "spawn_failed", message: err.message }, 0), reason: "workspace_failed" };
    }
    return claimOutcome({ kind: "spawn_failed", message: `cannot start the worker: ${(err as Error).message}` }, 0);
  }
  await rm(resultFile, { force: true });
  const steps = await runSteps(ctx, run, prepared);
  const result = await readClaimResult(resultFile);
  const outcome = result ? { ...steps.outcome, result } : steps.outcome;
  const { verify } = steps;
  if (!prepared) return { ...outcome, verify };
  const workspace = await ctx.workspaces.result(prepared).catch((err: unknown) => {
    ctx.log.warn({ claimId: claim.claimId, err }, "cannot read the workspace's changes");
    return null;
  });
  await ctx.workspaces.ended(prepared.workdir, ctx.stopCause() === "revoked" ? "cancelled" : outcome.status);
  return { ...outcome, workspace, verify };
}

/** The claim's own dir (a worktree when the task names a repository) with the prompt in .muster/ ($MUSTER_PROMPT_FILE). */
async function prepareWorkdir(ctx: AttemptContext, { task, workdir, promptFile }: AgentRun): Promise<PreparedWorkspace | null> {
  let prepared: PreparedWorkspace | null = null;
  if (task.repo) prepared = await ctx.workspaces.prepare(ctx.claim.taskId, task.repo, workdir, ctx.signal);
  else await mkdir(workdir, { recursive: true });
  // Always there, so a worker can write its result file beside the prompt.
  await mkdir(dirname(promptFile), { recursive: true });
  // A repository may hold a .muster symlink: the daemon must not write through it to anywhere else.
  if (!(await lstat(dirname(promptFile))).isDirectory()) throw new WorkspaceError(`${dirname(promptFile)} is not a directory`);
  if (task.prompt !== null)
    await writeFile(promptFile, task.prompt, { mode: 0o600, flag: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW });
  await ctx.agent.prepare?.({ task, workdir, promptFile });
  return prepared;
}

interface StepsEnd {
  outcome: ClaimOutcome;
  verify: VerifyResult | null;
}

/** The agent, then, once it exited 0: the verify gate, verify, the done gate. */
async function runSteps(ctx: AttemptContext, run: AgentRun, prepared: PreparedWorkspace | null): Promise<StepsEnd> {
  const { task } = ctx.claim;
  const cause = ctx.stopCause();
  if (cause) return { outcome: claimOutcome(stoppedEnd(cause), task.timeoutMs), verify: null };
  const command = ctx.agent.command(run);
  const startedAt = ctx.now();
  const agentEnd = await ctx.spawn(command, { timeoutMs: task.timeoutMs, announce: true, parser: ctx.parser, maxCostUsd: task.maxCostUsd });
  const agent = claimOutcome(agentEnd, task.timeoutMs);
  if (agent.status !== "succeeded") return { outcome: agent, verify: null };
  const agentMs = ctx.now() - startedAt;

  const gateCtx: GateContext = {
    claimId: ctx.claim.claimId,
    taskId: ctx.claim.taskId,
    task,
    workspace: prepared ? { prepared, workspaces: ctx.workspaces } : null,
    verify: null,
  };
  if (task.approveBefore === "verify") {
    const refused = await gate(ctx, "verify", gateCtx, agent);
    if (refused) return { outcome: refused, verify: null };
  }
  let verify: VerifyResult | null = null;
  if (task.verify !== null) {
    const verified = await runVerify(ctx, task.verify, task.timeoutMs - agentMs, agent);
    if (verified.outcome.status !== "succeeded") return verified;
    verify = verified.verify;
  }
  if (task.approveBefore === "done") {
    const refused = await gate(ctx, "done", { ...gateCtx, verify }, agent);
    if (refused) return { outcome: refused, verify };
  }
  return { outcome: agent, verify };
}

/** Null when approved; else the outcome the attempt ends with. */
async function gate(ctx: AttemptContext, name: GateName, gateCtx: GateContext, agent: ClaimOutcome): Promise<ClaimOutcome | null> {
  const decision = await approve(name, gateCtx, ctx.asks, ctx.stopped);
  ctx.log.info({ claimId: ctx.claim.claimId, gate: name, decision: decision.kind }, "approval gate decided");
  if (decision.kind === "approved") return null;
  if (decision.kind === "stopped") return claimOutcome(stoppedEnd(decision.cause, agent), ctx.claim.task.timeoutMs);
  return failedAfterAgent(agent, "not_approved", decision.message);
}

/** The task's verify command through `sh -c` in the work dir, within what is left of the task's time limit. */
async function runVerify(ctx: AttemptContext, command: string, remainingMs: number, agent: ClaimOutcome): Promise<StepsEnd> {
  const { timeoutMs } = ctx.claim.task;
  if (remainingMs <= 0) return { outcome: claimOutcome(stoppedEnd("timeout", agent), timeoutMs), verify: null };
  ctx.progress(`verify: ${command}`);
  const startedAt = ctx.now();
  const end = await ctx.spawn(["sh", "-c", command], { timeoutMs: remainingMs, announce: false });
  const durationMs = Math.max(0, Math.round(ctx.now() - startedAt));
  if (end.kind === "spawn_failed") {
    const verify = { command, exitCode: null, passed: false, durationMs };
    return { outcome: failedAfterAgent(agent, "verify_failed", `verify could not start: ${end.message}`), verify };
  }
  const passed = end.exitCode === 0 && end.stoppedBy === null;
  const verify: VerifyResult = { command, exitCode: end.exitCode, passed, durationMs };
  if (passed) return { outcome: agent, verify };
  // Stopped by the node (time limit, idle, shutdown): that is why it ended, not the check's verdict.
  if (end.stoppedBy !== null) return { outcome: { ...claimOutcome(end, timeoutMs), exitCode: agent.exitCode, signal: agent.signal }, verify };
  const how = end.exitCode !== null ? `exited with code ${end.exitCode}` : `was killed by ${end.signal ?? "a signal"}`;
  return { outcome: failedAfterAgent(agent, "verify_failed", `verify ${how}`), verify };
}
