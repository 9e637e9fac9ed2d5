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
import type { AgentInfo, ClaimRecord, Labels, VerifyResult, WorkspaceResult } from "@muster/protocol";

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
    /** The worktree and verify step of the last attempt that reported them. */
    workspace: jsonb("workspace").$type<WorkspaceResult>(),
    verifyResult: jsonb("verify_result").$type<VerifyResult>(),
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
