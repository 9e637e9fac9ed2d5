// The task as submitted, and the part of it a node needs to run one attempt.
import { z } from "zod";
import { ApproveTools, MAX_APPROVAL_TIMEOUT_MS } from "./approvals.js";
import { PlacementPolicy } from "./states.js";
import { AgentName, LabelKey, Labels } from "./values.js";

/** Failure reasons a task may choose to be retried on. */
export const RetryableReason = z.enum(["lost", "interrupted", "revoked", "exit_code", "timeout", "signal", "spawn_failed"]);
export type RetryableReason = z.infer<typeof RetryableReason>;

export const MAX_ARGV = 1024;
export const MAX_PROMPT_BYTES = 256 * 1024;

export const EnvVars = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "env names are letters, digits and _"), z.string().max(32 * 1024))
  .refine((r) => Object.keys(r).length <= 128, "at most 128 env vars");

/**
 * `stop` (default): a node that cannot renew its lease stops the worker before the coordinator re-routes the task.
 * `keep`: the worker goes on and the node reports it on reconnect; allowed only for idempotent tasks, since the
 * task may then run on two nodes at once.
 */
export const OnDisconnect = z.enum(["stop", "keep"]);
export type OnDisconnect = z.infer<typeof OnDisconnect>;

export const RepoSpec = z.object({
  /** A git URL or a local path / file:// URL. */
  url: z.string().min(1).max(2000),
  /** Branch, tag or commit to start from; the remote's default branch when null. */
  ref: z.string().min(1).max(250).nullable().default(null),
});
export type RepoSpec = z.infer<typeof RepoSpec>;

export const ApproveBefore = z.enum(["done", "verify"]);
export type ApproveBefore = z.infer<typeof ApproveBefore>;

/** A task may only take the network away; whether a worker has one otherwise is the node's setting. */
export const TaskNetwork = z.literal("none");
export type TaskNetwork = z.infer<typeof TaskNetwork>;

/** What a node needs to run one attempt of a task. */
export const TaskSpec = z.object({
  agent: AgentName,
  /** Command line for `exec`; ignored by other agents. */
  argv: z.array(z.string().max(64 * 1024)).max(MAX_ARGV).default([]),
  prompt: z.string().max(MAX_PROMPT_BYTES).nullable().default(null),
  model: z.string().max(200).nullable().default(null),
  thinking: z.string().max(50).nullable().default(null),
  env: EnvVars.default({}),
  /** Wall-clock limit for one attempt. */
  timeoutMs: z.number().int().positive().max(7 * 86_400_000),
  /** What the node does with the worker when it cannot renew its lease (DESIGN §4). */
  onDisconnect: OnDisconnect.default("stop"),
  /** The node stops the worker once the cost the agent reports crosses this (USD). */
  maxCostUsd: z.number().positive().nullable().default(null),
  /** Check out this repository into a git worktree of its own (branch `muster/<task id>`). */
  repo: RepoSpec.nullable().default(null),
  /** Run after the agent exits, in the workspace, through `sh -c`; its exit code decides success. */
  verify: z.string().max(8000).nullable().default(null),
  /** No output for this long: the worker is stuck and is stopped (reason `stuck`). */
  idleTimeoutMs: z.number().int().positive().nullable().default(null),
  /** Output kept per attempt; past it the rest is dropped with a notice (the worker keeps running). */
  outputCapBytes: z.number().int().positive().max(1024 * 1024 * 1024).nullable().default(null),
  /** Ask a person before the task counts as done (`done`) or before its verify step (`verify`). */
  approveBefore: ApproveBefore.nullable().default(null),
  /** Claude Code asks a person before each call of these tools (`all` or names); absent: no tool asks. */
  approveTools: ApproveTools.nullable().optional(),
  /** An unanswered tool ask is denied after this long; absent: the node's default. */
  approveToolsTimeoutMs: z.number().int().positive().max(MAX_APPROVAL_TIMEOUT_MS).nullable().optional(),
  /** `none`: the worker gets no network (a node that cannot cut it fails the attempt); absent: the node's default. */
  network: TaskNetwork.nullable().optional(),
});
export type TaskSpec = z.infer<typeof TaskSpec>;

export const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;
export const DEFAULT_MAX_ATTEMPTS = 3;

/** `POST /v1/tasks` body. */
export const CreateTaskRequest = z
  .object({
    name: z.string().min(1).max(200).optional(),
    agent: AgentName,
    argv: z.array(z.string().max(64 * 1024)).max(MAX_ARGV).optional(),
    prompt: z.string().min(1).max(MAX_PROMPT_BYTES).optional(),
    model: z.string().min(1).max(200).optional(),
    thinking: z.string().min(1).max(50).optional(),
    env: EnvVars.optional(),
    /** Node label requirements, e.g. `gpu=true,zone in (a,b)`. */
    selector: z.string().max(2000).optional(),
    /** Shorthand for `k=v` selector terms. */
    labels: Labels.optional(),
    priority: z.number().int().min(-1000).max(1000).optional(),
    timeoutMs: z.number().int().positive().max(7 * 86_400_000).optional(),
    maxAttempts: z.number().int().min(1).max(20).optional(),
    /** Running it twice does no harm; required for `onDisconnect: keep`. */
    idempotent: z.boolean().optional(),
    onDisconnect: OnDisconnect.optional(),
    /** How to pick among fitting nodes; the coordinator's default when absent. */
    policy: PlacementPolicy.optional(),
    /** `affinity`: prefer the node that last ran a task with this key (default: the task's repo, if any). */
    affinityKey: z.string().min(1).max(200).optional(),
    /** `spread`: even out across the values of this node label, e.g. `zone`. */
    spreadLabel: LabelKey.optional(),
    /** Concurrency group: at most `groupLimit` tasks of one group run at once. */
    group: z.string().min(1).max(200).optional(),
    groupLimit: z.number().int().min(1).max(10_000).optional(),
    /** Stop the worker when the cost the agent reports crosses this (USD). */
    maxCostUsd: z.number().positive().max(100_000).optional(),
    /** Failure reasons that re-queue the task while attempts remain; the coordinator's default when absent. */
    retryOn: z.array(RetryableReason).max(10).optional(),
    repo: z.string().min(1).max(2000).optional(),
    ref: z.string().min(1).max(250).optional(),
    verify: z.string().min(1).max(8000).optional(),
    idleTimeoutMs: z.number().int().positive().max(7 * 86_400_000).optional(),
    outputCapBytes: z.number().int().positive().max(1024 * 1024 * 1024).optional(),
    approveBefore: ApproveBefore.optional(),
    /** Ask a person before each call of these tools (agent claude only): `all` or names such as `["Bash","Write"]`. */
    approveTools: ApproveTools.optional(),
    /** An unanswered tool ask is denied after this long (default: the node's, 30 min). */
    approveToolsTimeoutMs: z.number().int().positive().max(MAX_APPROVAL_TIMEOUT_MS).optional(),
    /** `none`: run the worker without network. */
    network: TaskNetwork.optional(),
    /** Queue it even though no node has ever offered the agent (a fleet still joining). */
    allowUnknownAgent: z.boolean().optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.ref !== undefined && t.repo === undefined)
      ctx.addIssue({ code: "custom", path: ["ref"], message: "ref needs a repo" });
    if (t.approveBefore === "verify" && t.verify === undefined)
      ctx.addIssue({ code: "custom", path: ["approveBefore"], message: "approveBefore verify needs a verify command" });
    if (t.groupLimit !== undefined && t.group === undefined)
      ctx.addIssue({ code: "custom", path: ["groupLimit"], message: "groupLimit needs a group" });
    if (t.policy === "spread" && !t.spreadLabel)
      ctx.addIssue({ code: "custom", path: ["spreadLabel"], message: "policy spread needs spreadLabel (the label to spread over)" });
    if (t.onDisconnect === "keep" && !t.idempotent)
      ctx.addIssue({ code: "custom", path: ["onDisconnect"], message: "onDisconnect keep is only allowed for idempotent tasks" });
    if (t.approveTools !== undefined && t.agent !== "claude")
      ctx.addIssue({ code: "custom", path: ["approveTools"], message: `approveTools works only with agent claude, not ${t.agent}` });
    if (t.approveToolsTimeoutMs !== undefined && t.approveTools === undefined)
      ctx.addIssue({ code: "custom", path: ["approveToolsTimeoutMs"], message: "approveToolsTimeoutMs needs approveTools" });
    if (t.agent === "exec") {
      if (!t.argv || t.argv.length === 0)
        ctx.addIssue({ code: "custom", path: ["argv"], message: "agent exec needs a non-empty argv" });
      if (t.argv && t.argv[0] === "")
        ctx.addIssue({ code: "custom", path: ["argv", 0], message: "argv[0] must not be empty" });
    } else if (!t.prompt) {
      ctx.addIssue({ code: "custom", path: ["prompt"], message: `agent ${t.agent} needs a prompt` });
    }
  });
export type CreateTaskRequest = z.infer<typeof CreateTaskRequest>;
