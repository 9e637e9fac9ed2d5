// Message catalogs, one per direction (DESIGN §3). Each entry is the zod schema of the payload.
import { z } from "zod";
import { ToolAsk } from "./approvals.js";
import { ErrorCode } from "./errors.js";
import { ClaimPhase, FailureReason } from "./states.js";
import { NodeSandbox } from "./sandbox.js";
import { TaskSpec } from "./task.js";
import { AgentName, EpochMs, Id, Int4, INT4_MAX, Labels } from "./values.js";

/** A claim's fencing token and record numbers are int4 columns; the schema keeps them in range. */
const FencingToken = z.number().int().positive().max(INT4_MAX);
const Seq = z.number().int().positive().max(INT4_MAX);
const SeqOrZero = z.number().int().nonnegative().max(INT4_MAX);

/** An agent a node can run. */
export const AgentInfo = z.object({
  name: AgentName,
  kind: z.enum(["exec", "preset", "custom"]),
  version: z.string().max(100).nullable().default(null),
  /** At most this many claims of this agent at once on the node (within its capacity); null: no own limit. */
  limit: z.number().int().positive().nullable().default(null),
});
export type AgentInfo = z.infer<typeof AgentInfo>;

/** One claim as the node holds it; the node's full list of these is its actual state. */
export const ClaimReport = z.object({
  claimId: Id,
  taskId: Id,
  token: FencingToken,
  phase: ClaimPhase,
  /** Highest record seq the node has produced for this claim (0 when none). */
  lastSeq: SeqOrZero,
  /** Asks of this claim whose worker still waits for the answer. */
  waitingAsks: z.array(Id).max(100).default([]),
  /** Tells of this claim the node has received (so the coordinator stops re-sending them). */
  tellsReceived: z.array(Id).max(1000).default([]),
});
export type ClaimReport = z.infer<typeof ClaimReport>;

/** Fields every message about one claim carries; `token` is the fencing token. */
const ClaimRef = {
  claimId: Id,
  taskId: Id,
  token: FencingToken,
};

// ---- records a claim produces -------------------------------------------------------------

const RecordBase = { seq: Seq, ts: EpochMs };

export const LogRecord = z.object({
  ...RecordBase,
  kind: z.literal("log"),
  stream: z.enum(["stdout", "stderr"]),
  text: z.string(),
});
export const StartedRecord = z.object({
  ...RecordBase,
  kind: z.literal("started"),
  pid: Int4.nullable(),
  command: z.array(z.string()),
  workdir: z.string(),
});
export const ProgressRecord = z.object({
  ...RecordBase,
  kind: z.literal("progress"),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});
/** The claim's spend so far: cumulative totals, each record superseding the one before. */
export const CostRecord = z.object({
  ...RecordBase,
  kind: z.literal("cost"),
  usd: z.number().nonnegative(),
  inputTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative().optional(),
  cacheReadTokens: z.number().int().nonnegative().optional(),
  cacheWriteTokens: z.number().int().nonnegative().optional(),
});
/** Something an agent said (parsed from its machine-readable output). */
export const MessageRecord = z.object({
  ...RecordBase,
  kind: z.literal("message"),
  role: z.enum(["assistant", "user", "system"]),
  text: z.string(),
});
export const ToolCallRecord = z.object({
  ...RecordBase,
  kind: z.literal("tool_call"),
  callId: z.string().nullable(),
  name: z.string(),
  input: z.unknown(),
});
export const ToolResultRecord = z.object({
  ...RecordBase,
  kind: z.literal("tool_result"),
  callId: z.string().nullable(),
  ok: z.boolean(),
  output: z.string(),
});
/** The agent's own closing words and totals. */
export const SummaryRecord = z.object({
  ...RecordBase,
  kind: z.literal("summary"),
  text: z.string(),
  ok: z.boolean(),
  turns: z.number().int().nonnegative().optional(),
  durationMs: z.number().int().nonnegative().optional(),
});
/** A worker asked a human something (`muster ask`); it blocks until the answer comes back. */
export const AskRecord = z.object({
  ...RecordBase,
  kind: z.literal("ask"),
  /** Made by the node; asking again with the same id is the same ask. */
  askId: Id,
  question: z.string().min(1).max(8000),
  /** The answers allowed; empty for free text. */
  options: z.array(z.string().min(1).max(200)).max(20),
  /** Names an irreversible step this ask approves (merge, deploy, delete), or null. */
  gate: z.string().max(100).nullable(),
  /** A Claude Code tool call waiting for approval (its options are the ToolAnswer values). */
  tool: ToolAsk.optional(),
  /** Unanswered by then, the ask is denied by its node and can no longer be answered. */
  expiresAt: EpochMs.optional(),
});
export type AskRecord = z.infer<typeof AskRecord>;

export const ClaimRecord = z.discriminatedUnion("kind", [
  LogRecord,
  StartedRecord,
  ProgressRecord,
  CostRecord,
  MessageRecord,
  ToolCallRecord,
  ToolResultRecord,
  SummaryRecord,
  AskRecord,
]);
export type ClaimRecord = z.infer<typeof ClaimRecord>;
export type LogRecord = z.infer<typeof LogRecord>;

/** The git worktree a claim ran in, as it was left. */
export const WorkspaceResult = z.object({
  branch: z.string(),
  /** The commit the branch started from, and its head after the agent. */
  base: z.string(),
  head: z.string(),
  filesChanged: z.number().int().nonnegative(),
  insertions: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
  /** Changes not committed by the agent are part of the stats too. */
  dirty: z.boolean(),
});
export type WorkspaceResult = z.infer<typeof WorkspaceResult>;

export const VerifyResult = z.object({
  command: z.string(),
  exitCode: Int4.nullable(),
  passed: z.boolean(),
  durationMs: z.number().int().nonnegative(),
});
export type VerifyResult = z.infer<typeof VerifyResult>;

/** Largest `$MUSTER_RESULT_FILE` a node reads; a bigger one becomes an error note. */
export const MAX_RESULT_BYTES = 256 * 1024;

/**
 * What a worker left in `$MUSTER_RESULT_FILE`: the parsed JSON `value`, or an `error` note when the file was
 * over the cap or not valid JSON. It never changes the claim's status; that follows the exit code.
 */
export const ClaimResult = z.union([
  z.object({ value: z.unknown() }).strict(),
  z.object({ error: z.string().max(2000) }).strict(),
]);
export type ClaimResult = z.infer<typeof ClaimResult>;

export const ClaimOutcome = z.object({
  status: z.enum(["succeeded", "failed", "cancelled"]),
  exitCode: Int4.nullable(),
  signal: z.string().nullable(),
  reason: FailureReason.nullable(),
  message: z.string().max(4000).nullable(),
  workspace: WorkspaceResult.nullable().default(null),
  verify: VerifyResult.nullable().default(null),
  /** What the worker wrote to `$MUSTER_RESULT_FILE`; absent when it wrote nothing. */
  result: ClaimResult.optional(),
});
export type ClaimOutcome = z.infer<typeof ClaimOutcome>;

// ---- node -> coordinator -------------------------------------------------------------------

export const Hello = z.object({
  nodeId: Id,
  version: z.string().max(50),
  protocol: z.number().int(),
  hostname: z.string().max(255),
  os: z.string().max(50),
  arch: z.string().max(50),
  capacity: z.number().int().min(0).max(1024),
  labels: Labels,
  agents: z.array(AgentInfo).max(64),
  claims: z.array(ClaimReport).max(4096),
  /** True when the daemon is draining and wants no new claims. */
  draining: z.boolean().default(false),
  /** How the node isolates its workers; absent from older nodes. */
  sandbox: NodeSandbox.optional(),
});
export type Hello = z.infer<typeof Hello>;

export const Heartbeat = z.object({
  claims: z.array(ClaimReport).max(4096),
  capacity: z.number().int().min(0).max(1024),
  draining: z.boolean().default(false),
});
export type Heartbeat = z.infer<typeof Heartbeat>;

export const ClaimAccept = z.object({ ...ClaimRef });
export type ClaimAccept = z.infer<typeof ClaimAccept>;

export const ClaimReject = z.object({
  ...ClaimRef,
  reason: z.enum(["no_capacity", "agent_unavailable", "draining", "invalid_task", "duplicate"]),
  message: z.string().max(2000),
});
export type ClaimReject = z.infer<typeof ClaimReject>;

export const ClaimEvents = z.object({
  ...ClaimRef,
  records: z.array(ClaimRecord).min(1).max(1000),
});
export type ClaimEvents = z.infer<typeof ClaimEvents>;

export const ClaimDone = z.object({
  ...ClaimRef,
  /** Seq of the last record the claim produced; the coordinator stores the result once it has them all. */
  lastSeq: SeqOrZero,
  outcome: ClaimOutcome,
  finishedAt: EpochMs,
});
export type ClaimDone = z.infer<typeof ClaimDone>;

export const ErrorFrame = z.object({
  code: ErrorCode,
  message: z.string(),
});
export type ErrorFrame = z.infer<typeof ErrorFrame>;

export const NodeToCoordinator = {
  hello: Hello,
  heartbeat: Heartbeat,
  "claim.accept": ClaimAccept,
  "claim.reject": ClaimReject,
  "claim.events": ClaimEvents,
  "claim.done": ClaimDone,
  error: ErrorFrame,
} as const;
export type NodeToCoordinator = typeof NodeToCoordinator;

// ---- coordinator -> node -------------------------------------------------------------------

export const NodeDesired = z.object({
  cordoned: z.boolean(),
  draining: z.boolean(),
  labels: Labels,
});
export type NodeDesired = z.infer<typeof NodeDesired>;

export const Welcome = z.object({
  sessionId: Id,
  nodeId: Id,
  version: z.string(),
  heartbeatIntervalMs: z.number().int().positive(),
  /** Lease length; each acknowledged heartbeat renews it from the moment the node sent it. */
  leaseMs: z.number().int().positive(),
  leaseGraceMs: z.number().int().nonnegative(),
  desired: NodeDesired,
  serverTime: EpochMs,
});
export type Welcome = z.infer<typeof Welcome>;

export const ClaimOffer = z.object({
  ...ClaimRef,
  attempt: z.number().int().positive(),
  task: TaskSpec,
  /** Lease for the claim, in ms; it rides on the node lease once accepted. */
  leaseMs: z.number().int().positive(),
});
export type ClaimOffer = z.infer<typeof ClaimOffer>;

export const RevokeReason = z.enum(["cancelled", "rerouted", "unknown", "stale", "expired", "node_revoked"]);
export type RevokeReason = z.infer<typeof RevokeReason>;

export const ClaimRevoke = z.object({
  ...ClaimRef,
  reason: RevokeReason,
  message: z.string().max(2000).optional(),
});
export type ClaimRevoke = z.infer<typeof ClaimRevoke>;

export const ResendFrom = z.object({ claimId: Id, token: FencingToken, fromSeq: Seq });

export const AskAnswer = z.object({
  askId: Id,
  claimId: Id,
  answer: z.string().max(8000),
  answeredBy: z.string().max(200),
  /** Why, in the answerer's words (a tool denial's reason, which the agent sees). */
  reason: z.string().max(2000).optional(),
});
export type AskAnswer = z.infer<typeof AskAnswer>;

/** A steering message for a running worker (`muster tell`), read at most once with `muster told`. */
export const TellMessage = z.object({
  tellId: Id,
  claimId: Id,
  text: z.string().min(1).max(8000),
  from: z.string().max(200),
});
export type TellMessage = z.infer<typeof TellMessage>;

export const HeartbeatAck = z.object({
  leaseMs: z.number().int().positive(),
  revoke: z.array(ClaimRevoke).default([]),
  offers: z.array(ClaimOffer).default([]),
  resend: z.array(ResendFrom).default([]),
  /** Answers to asks the node reported as waiting. */
  answers: z.array(AskAnswer).default([]),
  /** Tells for the node's claims that it has not confirmed yet. */
  tells: z.array(TellMessage).default([]),
  desired: NodeDesired,
});
export type HeartbeatAck = z.infer<typeof HeartbeatAck>;

export const Ack = z.object({
  ...ClaimRef,
  /** Cumulative: every record up to and including this seq is stored. */
  seq: SeqOrZero,
  /** The claim's result is stored; the node may forget the claim. */
  done: z.boolean().default(false),
});
export type Ack = z.infer<typeof Ack>;

export const NodeDrain = z.object({
  deadlineMs: z.number().int().positive().nullable(),
});
export type NodeDrain = z.infer<typeof NodeDrain>;

export const CoordinatorToNode = {
  welcome: Welcome,
  "heartbeat.ack": HeartbeatAck,
  "claim.offer": ClaimOffer,
  "claim.revoke": ClaimRevoke,
  "node.drain": NodeDrain,
  "ask.answer": AskAnswer,
  tell: TellMessage,
  ack: Ack,
  error: ErrorFrame,
} as const;
export type CoordinatorToNode = typeof CoordinatorToNode;

export type Catalog = Record<string, z.ZodType>;
export type MessageOf<C extends Catalog> = {
  [K in keyof C & string]: { type: K; id?: string; re?: string; payload: z.infer<C[K]> };
}[keyof C & string];
export type PayloadOf<C extends Catalog, K extends keyof C> = z.infer<C[K]>;
