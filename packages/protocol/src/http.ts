// Every HTTP request and response body of the coordinator's API.
import { z } from "zod";
import { AgentInfo, ClaimRecord, ClaimResult, VerifyResult, WorkspaceResult } from "./messages.js";
import { AskState, ClaimState, FailureReason, NodeState, PlacementPolicy, Role, TaskState } from "./states.js";
import { ApproveTools, ToolAsk } from "./approvals.js";
import { NodeSandbox } from "./sandbox.js";
import { ApproveBefore, OnDisconnect, RetryableReason, TaskNetwork } from "./task.js";
import { AgentName, Id, Iso, Labels, NodeName, parseLabelFilter } from "./values.js";

export const Health = z.object({ status: z.literal("ok") });
export const Ready = z.object({ status: z.enum(["ready", "not_ready"]), checks: z.record(z.string(), z.string()) });

// ---- nodes ----------------------------------------------------------------------------------

/** An Ed25519 public key as a JWK. */
export const Ed25519PublicJwk = z
  .object({
    kty: z.literal("OKP"),
    crv: z.literal("Ed25519"),
    x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "x must be a 32-byte base64url value"),
  })
  .passthrough();
export type Ed25519PublicJwk = z.infer<typeof Ed25519PublicJwk>;

export const JoinRequest = z
  .object({
    key: z.string().min(1).max(200),
    name: NodeName,
    publicKey: Ed25519PublicJwk,
    labels: Labels.default({}),
    capacity: z.number().int().min(0).max(1024).default(1),
    hostname: z.string().max(255).optional(),
    version: z.string().max(50).optional(),
  })
  .strict();
export type JoinRequest = z.infer<typeof JoinRequest>;

export const JoinResponse = z.object({
  nodeId: Id,
  name: NodeName,
  /** The `aud` the node puts in the JWTs it signs. */
  audience: z.string(),
  labels: Labels,
  capacity: z.number().int(),
});
export type JoinResponse = z.infer<typeof JoinResponse>;

export const NodeView = z.object({
  id: Id,
  name: NodeName,
  state: NodeState,
  connected: z.boolean(),
  labels: Labels,
  capacity: z.number().int(),
  running: z.number().int(),
  agents: z.array(AgentInfo),
  version: z.string().nullable(),
  hostname: z.string().nullable(),
  os: z.string().nullable(),
  arch: z.string().nullable(),
  joinedAt: Iso,
  lastSeenAt: Iso.nullable(),
  cordoned: z.boolean(),
  draining: z.boolean(),
  /** Milliseconds since the last heartbeat, at the time of the response. */
  heartbeatAgeMs: z.number().int().nullable(),
  /** How the node isolates its workers, as its last hello said; null before it said. */
  sandbox: NodeSandbox.nullable().optional(),
});
export type NodeView = z.infer<typeof NodeView>;

export const NodeList = z.object({ nodes: z.array(NodeView) });

/** `POST /v1/nodes/:id/drain`: take no new claims, finish the running ones, then go offline. */
export const DrainNodeRequest = z
  .object({
    /** After this long, claims still running are stopped and re-queued. */
    deadlineMs: z.number().int().positive().max(30 * 86_400_000).nullable().default(null),
  })
  .strict();
export type DrainNodeRequest = z.infer<typeof DrainNodeRequest>;
export type NodeList = z.infer<typeof NodeList>;

// ---- join keys ------------------------------------------------------------------------------

export const CreateJoinKeyRequest = z
  .object({
    /** How many nodes may join with it. */
    uses: z.number().int().min(1).max(100_000).default(1),
    ttlMs: z.number().int().min(1000).max(365 * 86_400_000).default(86_400_000),
    labels: Labels.default({}),
    description: z.string().max(200).optional(),
  })
  .strict();
export type CreateJoinKeyRequest = z.infer<typeof CreateJoinKeyRequest>;

export const JoinKeyView = z.object({
  id: Id,
  state: z.enum(["active", "expired", "exhausted", "revoked"]),
  uses: z.number().int(),
  used: z.number().int(),
  labels: Labels,
  description: z.string().nullable(),
  createdAt: Iso,
  expiresAt: Iso,
  revokedAt: Iso.nullable(),
});
export type JoinKeyView = z.infer<typeof JoinKeyView>;

/** The join key itself appears only here, once. */
export const JoinKeyCreated = JoinKeyView.extend({ key: z.string() });
export type JoinKeyCreated = z.infer<typeof JoinKeyCreated>;

export const JoinKeyList = z.object({ joinKeys: z.array(JoinKeyView) });
export type JoinKeyList = z.infer<typeof JoinKeyList>;

// ---- tasks ----------------------------------------------------------------------------------

export const AttemptView = z.object({
  claimId: Id,
  attempt: z.number().int(),
  token: z.number().int(),
  nodeId: Id,
  nodeName: z.string(),
  state: ClaimState,
  offeredAt: Iso,
  acceptedAt: Iso.nullable(),
  startedAt: Iso.nullable(),
  finishedAt: Iso.nullable(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  reason: FailureReason.nullable(),
  message: z.string().nullable(),
});
export type AttemptView = z.infer<typeof AttemptView>;

export const TaskView = z.object({
  id: Id,
  name: z.string().nullable(),
  agent: z.string(),
  argv: z.array(z.string()),
  prompt: z.string().nullable(),
  model: z.string().nullable(),
  thinking: z.string().nullable(),
  selector: z.string(),
  priority: z.number().int(),
  timeoutMs: z.number().int(),
  maxAttempts: z.number().int(),
  idempotent: z.boolean(),
  onDisconnect: OnDisconnect,
  /** A re-queued task waits until then before it is placed again (retry backoff). */
  notBefore: Iso.nullable(),
  policy: PlacementPolicy.nullable(),
  affinityKey: z.string().nullable(),
  spreadLabel: z.string().nullable(),
  group: z.string().nullable(),
  groupLimit: z.number().int().nullable(),
  maxCostUsd: z.number().nullable(),
  retryOn: z.array(RetryableReason).nullable(),
  /** Spend reported by the agent across all attempts (USD). */
  costUsd: z.number(),
  /** Tokens reported by the agent across all attempts. */
  tokens: z.object({ input: z.number().int(), output: z.number().int() }),
  /** Why a queued task is not placed yet, e.g. "no node has label gpu=true"; null when nothing holds it back. */
  pending: z.string().nullable(),
  /** A worker of this task waits for a human: it has a pending ask. */
  waiting: z.boolean(),
  repo: z.string().nullable(),
  ref: z.string().nullable(),
  verify: z.string().nullable(),
  idleTimeoutMs: z.number().int().nullable(),
  outputCapBytes: z.number().int().nullable(),
  approveBefore: ApproveBefore.nullable(),
  /** Tools whose calls wait for a person's approval; null or absent: none. */
  approveTools: ApproveTools.nullable().optional(),
  approveToolsTimeoutMs: z.number().int().nullable().optional(),
  /** `none`: its workers run without network. */
  network: TaskNetwork.nullable().optional(),
  /** The worktree of the last attempt that reported one. */
  workspace: WorkspaceResult.nullable(),
  verifyResult: VerifyResult.nullable(),
  /** What the last finished attempt's worker wrote to `$MUSTER_RESULT_FILE`; null or absent: nothing. */
  result: ClaimResult.nullable().optional(),
  state: TaskState,
  attempts: z.number().int(),
  nodeId: Id.nullable(),
  nodeName: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  reason: FailureReason.nullable(),
  message: z.string().nullable(),
  createdAt: Iso,
  updatedAt: Iso,
  startedAt: Iso.nullable(),
  finishedAt: Iso.nullable(),
  createdBy: z.string().nullable(),
});
export type TaskView = z.infer<typeof TaskView>;

export const TaskDetail = TaskView.extend({ claims: z.array(AttemptView) });
export type TaskDetail = z.infer<typeof TaskDetail>;

export const TaskListQuery = z.object({
  state: TaskState.optional(),
  /** Only tasks of this agent. */
  agent: AgentName.optional(),
  /** Only tasks whose current or last attempt is on this node (id, or name of a node that is not revoked). */
  node: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9._-]+$/, "must be a node id or name")
    .optional(),
  /** Only tasks whose selector requires this label: `k=v` (that exact term) or `k` (`k=…`, `k in (…)` or `k`). */
  label: z
    .string()
    .max(200)
    .superRefine((text, ctx) => {
      try {
        parseLabelFilter(text);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    })
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor: z.string().max(200).optional(),
});
export type TaskListQuery = z.infer<typeof TaskListQuery>;

export const TaskList = z.object({ tasks: z.array(TaskView), nextCursor: z.string().nullable() });
export type TaskList = z.infer<typeof TaskList>;

/** One stored record of a task's log, with the attempt it came from. */
export const LogEntry = z.object({
  claimId: Id,
  attempt: z.number().int(),
  record: ClaimRecord,
});
export type LogEntry = z.infer<typeof LogEntry>;

export const LogsQuery = z.object({
  follow: z.enum(["0", "1", "true", "false"]).optional(),
  /** Resume after this cursor (`<attempt>:<seq>`), as in `nextCursor` or an SSE event id. */
  after: z.string().regex(/^\d+:\d+$/).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(5000),
});

export const LogPage = z.object({
  entries: z.array(LogEntry),
  nextCursor: z.string().nullable(),
  /** True when the task has ended and every record is in. */
  complete: z.boolean(),
});
export type LogPage = z.infer<typeof LogPage>;

/** SSE `end` event of a followed log: the task is finished. */
export const LogEnd = z.object({
  taskId: Id,
  state: TaskState,
  exitCode: z.number().int().nullable(),
  /** Why it did not succeed, when that is more than its exit code (`not_approved`, `timeout`, ...). */
  reason: FailureReason.nullable().optional(),
});

/** In a followed log: why the task waits to be placed, sent when that appears or changes (null once placed). */
export const LogWaiting = z.object({ taskId: Id, pending: z.string().nullable() });
export type LogWaiting = z.infer<typeof LogWaiting>;
export type LogEnd = z.infer<typeof LogEnd>;

// ---- status ---------------------------------------------------------------------------------

export const TaskCounts = z.object(
  Object.fromEntries(TaskState.options.map((s) => [s, z.number().int()])) as Record<TaskState, z.ZodNumber>,
);
export type TaskCounts = z.infer<typeof TaskCounts>;

export const Status = z.object({
  coordinator: z.object({
    id: z.string(),
    version: z.string(),
    database: z.enum(["pglite", "postgres"]),
    startedAt: Iso,
  }),
  nodes: z.array(NodeView),
  tasks: TaskCounts,
  budget: z.object({
    /** The fleet's daily budget in USD, null when there is none. */
    dailyUsd: z.number().nullable(),
    /** Spend reported since 00:00 UTC. */
    spentTodayUsd: z.number(),
    /** True when the day's spend reached the budget: nothing new is placed. */
    exhausted: z.boolean(),
  }),
});
export type Status = z.infer<typeof Status>;

// ---- tokens ---------------------------------------------------------------------------------

export const TokenView = z.object({
  id: Id,
  name: z.string(),
  role: Role,
  createdAt: Iso,
  lastUsedAt: Iso.nullable(),
  revokedAt: Iso.nullable(),
});
export type TokenView = z.infer<typeof TokenView>;

/** `POST /v1/tokens` (admin): an API token for a person or for CI. Tokens do not expire; revoke them instead. */
export const CreateTokenRequest = z
  .object({
    /** Who or what holds it, e.g. "alice" or "ci (github actions)"; shown in lists and logs. */
    name: z.string().trim().min(1).max(100),
    role: Role,
  })
  .strict();
export type CreateTokenRequest = z.infer<typeof CreateTokenRequest>;

/** The token itself (`mat_<id>_<secret>`) appears only here, once. */
export const TokenCreated = TokenView.extend({ token: z.string() });
export type TokenCreated = z.infer<typeof TokenCreated>;

/** `GET /v1/tokens`: newest first, revoked ones included. */
export const TokenList = z.object({ tokens: z.array(TokenView) });
export type TokenList = z.infer<typeof TokenList>;

export const WhoAmI = z.object({ tokenId: Id, name: z.string(), role: Role });
export type WhoAmI = z.infer<typeof WhoAmI>;


// ---- asks -----------------------------------------------------------------------------------

export const AskView = z.object({
  id: Id,
  taskId: Id,
  claimId: Id,
  nodeId: Id,
  nodeName: z.string().nullable(),
  question: z.string(),
  options: z.array(z.string()),
  gate: z.string().nullable(),
  state: AskState,
  answer: z.string().nullable(),
  answeredBy: z.string().nullable(),
  createdAt: Iso,
  answeredAt: Iso.nullable(),
  /** A Claude Code tool call waiting for approval; null or absent for other asks. */
  tool: ToolAsk.nullable().optional(),
  /** The answerer's reason (a tool denial's, which the agent sees). */
  reason: z.string().nullable().optional(),
  /** Unanswered by then, the ask expires (a tool ask is then denied). */
  expiresAt: Iso.nullable().optional(),
});
export type AskView = z.infer<typeof AskView>;

export const AskList = z.object({ asks: z.array(AskView) });
export type AskList = z.infer<typeof AskList>;

export const AskListQuery = z.object({
  state: AskState.optional(),
  taskId: Id.optional(),
  /** Long poll: wait up to this long for at least one ask to match before answering. */
  waitMs: z.coerce.number().int().min(0).max(120_000).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const AnswerAskRequest = z
  .object({
    answer: z.string().min(1).max(8000),
    /** Answer again an ask that already has an answer. */
    force: z.boolean().default(false),
    /** Why; for a tool ask answered `deny`, the agent is told this. */
    reason: z.string().min(1).max(2000).optional(),
  })
  .strict();
export type AnswerAskRequest = z.infer<typeof AnswerAskRequest>;

// ---- tells ----------------------------------------------------------------------------------

export const TellRequest = z.object({ text: z.string().min(1).max(8000) }).strict();
export type TellRequest = z.infer<typeof TellRequest>;

export const TellView = z.object({
  id: Id,
  taskId: Id,
  claimId: Id,
  text: z.string(),
  from: z.string(),
  state: z.enum(["queued", "delivered"]),
  createdAt: Iso,
});
export type TellView = z.infer<typeof TellView>;

/** `GET /v1/tasks/:id/tells`. */
export const TellList = z.object({ tells: z.array(TellView) });
export type TellList = z.infer<typeof TellList>;

// ---- console session and live events ------------------------------------------------------

/** `POST /v1/session`: exchange an API token for an HttpOnly, SameSite=Strict session cookie. */
export const SessionRequest = z.object({ token: z.string().min(1).max(500) }).strict();
export type SessionRequest = z.infer<typeof SessionRequest>;
export const SESSION_COOKIE = "muster_session";

/** One event of `GET /v1/events` (SSE; the event name is `type`, the id resumes with Last-Event-ID). */
export const FleetEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("task"), taskId: Id, state: TaskState }),
  z.object({ type: z.literal("node"), nodeId: Id, state: NodeState }),
  z.object({ type: z.literal("ask"), askId: Id, taskId: Id, state: AskState }),
  z.object({ type: z.literal("records"), taskId: Id, claimId: Id }),
  /** A join key was created or revoked (a node joining with one comes as a `node` event). */
  z.object({ type: z.literal("join_key"), joinKeyId: Id, state: JoinKeyView.shape.state }),
  /** The stream could not resume from Last-Event-ID: reload everything. */
  z.object({ type: z.literal("reset") }),
]);
export type FleetEvent = z.infer<typeof FleetEvent>;
