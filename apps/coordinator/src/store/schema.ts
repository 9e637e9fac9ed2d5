// The coordinator's tables (DESIGN §6). Timestamps are the coordinator's wall clock.
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import type { AgentInfo, ClaimRecord, ClaimResult, Labels, NodeSandbox, PulseAgent, VerifyResult, WorkspaceResult } from "@muster/protocol";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/** Single-row facts about this fleet, such as its id (the JWT audience). */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

export const nodes = pgTable(
  "nodes",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    publicKey: jsonb("public_key").$type<{ kty: "OKP"; crv: "Ed25519"; x: string }>().notNull(),
    state: text("state").notNull().default("joined"),
    labels: jsonb("labels").$type<Labels>().notNull().default({}),
    capacity: integer("capacity").notNull().default(1),
    agents: jsonb("agents").$type<AgentInfo[]>().notNull().default([]),
    version: text("version"),
    hostname: text("hostname"),
    os: text("os"),
    arch: text("arch"),
    /** How the node isolates its workers, as its last hello said; null for a node that never said. */
    sandbox: jsonb("sandbox").$type<NodeSandbox>(),
    cordoned: boolean("cordoned").notNull().default(false),
    draining: boolean("draining").notNull().default(false),
    sessionId: text("session_id"),
    joinKeyId: text("join_key_id"),
    joinedAt: ts("joined_at").notNull().defaultNow(),
    connectedAt: ts("connected_at"),
    lastSeenAt: ts("last_seen_at"),
    leaseExpiresAt: ts("lease_expires_at"),
    revokedAt: ts("revoked_at"),
  },
  (t) => [uniqueIndex("nodes_live_name").on(t.name).where(sql`${t.state} <> 'revoked'`)],
);

export const joinKeys = pgTable("join_keys", {
  id: text("id").primaryKey(),
  secretHash: text("secret_hash").notNull(),
  uses: integer("uses").notNull(),
  used: integer("used").notNull().default(0),
  labels: jsonb("labels").$type<Labels>().notNull().default({}),
  description: text("description"),
  createdBy: text("created_by"),
  createdAt: ts("created_at").notNull().defaultNow(),
  expiresAt: ts("expires_at").notNull(),
  revokedAt: ts("revoked_at"),
});

export const apiTokens = pgTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    role: text("role").notNull(),
    secretHash: text("secret_hash").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    lastUsedAt: ts("last_used_at"),
    revokedAt: ts("revoked_at"),
  },
  (t) => [uniqueIndex("api_tokens_hash").on(t.secretHash)],
);

/** Node JWT ids already used, kept until the token would have expired anyway. */
export const nodeJwtIds = pgTable("node_jwt_ids", {
  jti: text("jti").primaryKey(),
  nodeId: text("node_id").notNull(),
  expiresAt: ts("expires_at").notNull(),
});

export const tasks = pgTable(
  "tasks",
  {
    id: text("id").primaryKey(),
    name: text("name"),
    agent: text("agent").notNull(),
    argv: jsonb("argv").$type<string[]>().notNull().default([]),
    prompt: text("prompt"),
    model: text("model"),
    thinking: text("thinking"),
    env: jsonb("env").$type<Record<string, string>>().notNull().default({}),
    selector: text("selector").notNull().default(""),
    priority: integer("priority").notNull().default(0),
    timeoutMs: bigint("timeout_ms", { mode: "number" }).notNull(),
    maxAttempts: integer("max_attempts").notNull(),
    idempotent: boolean("idempotent").notNull().default(false),
    onDisconnect: text("on_disconnect").notNull().default("stop"),
    /** A re-queued task is not placed before this (retry backoff). */
    notBefore: ts("not_before"),
    /** When the task last entered the queue: FIFO order, aging and the affinity wait run from here. */
    queuedAt: ts("queued_at").notNull().defaultNow(),
    policy: text("policy"),
    affinityKey: text("affinity_key"),
    spreadLabel: text("spread_label"),
    groupName: text("group_name"),
    groupLimit: integer("group_limit"),
    maxCostUsd: doublePrecision("max_cost_usd"),
    retryOn: jsonb("retry_on").$type<string[]>(),
    /** Spend and tokens the agent reported, summed over attempts. */
    costUsd: doublePrecision("cost_usd").notNull().default(0),
    inputTokens: bigint("input_tokens", { mode: "number" }).notNull().default(0),
    outputTokens: bigint("output_tokens", { mode: "number" }).notNull().default(0),
    /** Why the scheduler could not place the task at its last look; null when nothing holds it back. */
    pendingReason: text("pending_reason"),
    repo: text("repo"),
    ref: text("ref"),
    verify: text("verify"),
    idleTimeoutMs: bigint("idle_timeout_ms", { mode: "number" }),
    outputCapBytes: bigint("output_cap_bytes", { mode: "number" }),
    approveBefore: text("approve_before"),
    /** `"all"` or tool names whose calls wait for approval; null: none. */
    approveTools: jsonb("approve_tools").$type<"all" | string[]>(),
    approveToolsTimeoutMs: bigint("approve_tools_timeout_ms", { mode: "number" }),
    /** `none`: its workers run without network; null: the node's default. */
    network: text("network"),
    /** The worktree and verify step of the last attempt that reported them. */
    workspace: jsonb("workspace").$type<WorkspaceResult>(),
    verifyResult: jsonb("verify_result").$type<VerifyResult>(),
    /** What the last finished attempt's worker wrote to $MUSTER_RESULT_FILE. */
    result: jsonb("result").$type<ClaimResult>(),
    state: text("state").notNull().default("queued"),
    /** Attempts started (claims accepted); bounded by maxAttempts. */
    attempts: integer("attempts").notNull().default(0),
    /** Highest fencing token handed out for this task. */
    lastToken: integer("last_token").notNull().default(0),
    currentClaimId: text("current_claim_id"),
    nodeId: text("node_id"),
    exitCode: integer("exit_code"),
    reason: text("reason"),
    message: text("message"),
    createdBy: text("created_by"),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    startedAt: ts("started_at"),
    finishedAt: ts("finished_at"),
  },
  (t) => [
    index("tasks_queue").on(t.state, t.priority, t.createdAt),
    index("tasks_group").on(t.groupName, t.state),
    index("tasks_created").on(t.createdAt),
  ],
);

export const claims = pgTable(
  "claims",
  {
    id: text("id").primaryKey(),
    taskId: text("task_id").notNull(),
    nodeId: text("node_id").notNull(),
    token: integer("token").notNull(),
    attempt: integer("attempt").notNull(),
    state: text("state").notNull().default("offered"),
    /** Highest seq up to which every record is stored. */
    lastSeq: integer("last_seq").notNull().default(0),
    /** The latest cumulative cost and tokens this attempt reported. */
    costUsd: doublePrecision("cost_usd").notNull().default(0),
    inputTokens: bigint("input_tokens", { mode: "number" }).notNull().default(0),
    outputTokens: bigint("output_tokens", { mode: "number" }).notNull().default(0),
    workspace: jsonb("workspace").$type<WorkspaceResult>(),
    verifyResult: jsonb("verify_result").$type<VerifyResult>(),
    offeredAt: ts("offered_at").notNull().defaultNow(),
    acceptedAt: ts("accepted_at"),
    startedAt: ts("started_at"),
    finishedAt: ts("finished_at"),
    exitCode: integer("exit_code"),
    signal: text("signal"),
    reason: text("reason"),
    message: text("message"),
  },
  (t) => [
    uniqueIndex("claims_task_token").on(t.taskId, t.token),
    index("claims_node_state").on(t.nodeId, t.state),
  ],
);

export const claimRecords = pgTable(
  "claim_records",
  {
    claimId: text("claim_id").notNull(),
    seq: integer("seq").notNull(),
    taskId: text("task_id").notNull(),
    attempt: integer("attempt").notNull(),
    kind: text("kind").notNull(),
    record: jsonb("record").$type<ClaimRecord>().notNull(),
    storedAt: ts("stored_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.claimId, t.seq] }), index("claim_records_task").on(t.taskId, t.attempt, t.seq)],
);

/** Questions from workers to humans; durable, so an answer outlives restarts on both sides. */
export const asks = pgTable(
  "asks",
  {
    id: text("id").primaryKey(),
    taskId: text("task_id").notNull(),
    claimId: text("claim_id").notNull(),
    nodeId: text("node_id").notNull(),
    question: text("question").notNull(),
    options: jsonb("options").$type<string[]>().notNull().default([]),
    gate: text("gate"),
    /** A tool call waiting for approval: name, input and diff. */
    tool: jsonb("tool").$type<{ name: string; input: unknown; diff: string | null }>(),
    /** Unanswered by then, the ask expires. */
    expiresAt: ts("expires_at"),
    state: text("state").notNull().default("pending"),
    answer: text("answer"),
    answeredBy: text("answered_by"),
    /** The answerer's reason (a tool denial's). */
    reason: text("reason"),
    createdAt: ts("created_at").notNull().defaultNow(),
    answeredAt: ts("answered_at"),
  },
  (t) => [index("asks_state").on(t.state, t.createdAt), index("asks_claim").on(t.claimId)],
);

/** Steering messages for a task's running worker, re-sent to its node until the node confirms it has them. */
export const tells = pgTable(
  "tells",
  {
    id: text("id").primaryKey(),
    taskId: text("task_id").notNull(),
    claimId: text("claim_id").notNull(),
    nodeId: text("node_id").notNull(),
    text: text("text").notNull(),
    fromName: text("from_name").notNull(),
    deliveredAt: ts("delivered_at"),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [index("tells_claim").on(t.claimId)],
);

// ---- the pulse (DESIGN §12) ----------------------------------------------------------------

/** The pulse's own state: one row (id 1). */
export const pulseState = pgTable("pulse_state", {
  id: integer("id").primaryKey(),
  paused: boolean("paused").notNull().default(true),
  intervalMs: integer("interval_ms").notNull(),
  maxDecidesPerHour: integer("max_decides_per_hour").notNull(),
  agent: jsonb("agent").$type<PulseAgent>().notNull(),
  /** Hash of PLAYBOOK, active goals and signals at the last decision. */
  lastHash: text("last_hash"),
  /** Each sensor's signal at the last decision, to say what changed. */
  lastSignals: jsonb("last_signals").$type<Record<string, unknown>>().notNull().default({}),
  lastDecisionAt: ts("last_decision_at"),
  nextBeatAt: ts("next_beat_at"),
  /** A person asked for a beat now (`muster pulse beat`). */
  beatRequested: boolean("beat_requested").notNull().default(false),
  /** The decision whose decide task is running. */
  decidingId: text("deciding_id"),
  failures: integer("failures").notNull().default(0),
  backoffUntil: ts("backoff_until"),
  lastFailure: text("last_failure"),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export const goals = pgTable("goals", {
  id: text("id").primaryKey(),
  text: text("text").notNull(),
  state: text("state").notNull().default("active"),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
  archivedAt: ts("archived_at"),
});

export const playbookVersions = pgTable("playbook_versions", {
  version: integer("version").primaryKey(),
  text: text("text").notNull(),
  createdBy: text("created_by"),
  createdAt: ts("created_at").notNull().defaultNow(),
});

export const sensors = pgTable("sensors", {
  name: text("name").primaryKey(),
  argv: jsonb("argv").$type<string[]>().notNull(),
  everyMs: integer("every_ms").notNull(),
  selector: text("selector").notNull().default(""),
  timeoutMs: integer("timeout_ms").notNull(),
  nextRunAt: ts("next_run_at"),
  /** The exec task now taking a reading. */
  runningTaskId: text("running_task_id"),
  /** Decisions in a row at which this sensor's signal had changed. */
  changeStreak: integer("change_streak").notNull().default(0),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export const readings = pgTable(
  "readings",
  {
    id: text("id").primaryKey(),
    sensor: text("sensor").notNull(),
    taskId: text("task_id"),
    ok: boolean("ok").notNull(),
    signal: jsonb("signal").$type<unknown>(),
    detail: jsonb("detail").$type<unknown>(),
    error: text("error"),
    takenAt: ts("taken_at").notNull().defaultNow(),
  },
  (t) => [index("readings_sensor").on(t.sensor, t.takenAt)],
);

export const schedules = pgTable("schedules", {
  name: text("name").primaryKey(),
  at: ts("at"),
  everyMs: integer("every_ms"),
  nextAt: ts("next_at"),
  note: text("note"),
  createdAt: ts("created_at").notNull().defaultNow(),
});

/** One beat that decided: its prompt, the decider's raw output, the parsed move and how carrying it out went. */
export const decisions = pgTable(
  "decisions",
  {
    id: text("id").primaryKey(),
    /** deciding -> decided -> done | failed; decided -> waiting (an approval ask) -> done | refused. */
    state: text("state").notNull(),
    taskId: text("task_id"),
    hash: text("hash").notNull(),
    prompt: text("prompt").notNull(),
    raw: text("raw"),
    move: jsonb("move").$type<Record<string, unknown>>(),
    /** Carrying the move out twice is the same as once: tasks it submits take ids made from this key. */
    idempotencyKey: text("idempotency_key").notNull(),
    error: text("error"),
    askId: text("ask_id"),
    resultTaskId: text("result_task_id"),
    createdAt: ts("created_at").notNull().defaultNow(),
    decidedAt: ts("decided_at"),
    doneAt: ts("done_at"),
  },
  (t) => [uniqueIndex("decisions_idempotency").on(t.idempotencyKey), index("decisions_created").on(t.createdAt)],
);

/** Workers the pulse started, by the id its moves use. */
export const pulseWorkers = pgTable("pulse_workers", {
  id: text("id").primaryKey(),
  taskId: text("task_id").notNull(),
  decisionId: text("decision_id").notNull(),
  createdAt: ts("created_at").notNull().defaultNow(),
});

export const pulseJournal = pgTable(
  "pulse_journal",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    at: ts("at").notNull().defaultNow(),
    kind: text("kind").notNull(),
    text: text("text").notNull(),
    decisionId: text("decision_id"),
  },
  (t) => [index("pulse_journal_at").on(t.at)],
);
