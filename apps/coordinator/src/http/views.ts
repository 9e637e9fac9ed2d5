// Rows to API bodies (the protocol's view schemas).
import type { AttemptView, FailureReason, JoinKeyView, NodeState, NodeView, Role, TaskView, TokenView } from "@muster/protocol";
import type { ClaimRow, TaskRow } from "../claims/fencing.js";
import type { NodeRow } from "../gateway/node-state.js";
import type { apiTokens, joinKeys } from "../store/schema.js";

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** The state people see: stored state, with `lost` once the lease lapsed and `busy` when full. */
export function nodeDisplayState(row: NodeRow, running: number, now: number): NodeState {
  const state = row.state as NodeState;
  if (state === "ready" || state === "cordoned" || state === "draining") {
    if (!row.leaseExpiresAt || row.leaseExpiresAt.getTime() < now) return "lost";
    if (state === "ready" && running >= row.capacity && row.capacity > 0) return "busy";
  }
  return state;
}

export function toNodeView(row: NodeRow, running: number, now: number): NodeView {
  const state = nodeDisplayState(row, running, now);
  return {
    id: row.id,
    name: row.name,
    state,
    connected: row.sessionId !== null && state !== "lost" && state !== "revoked",
    labels: row.labels,
    capacity: row.capacity,
    running,
    agents: row.agents,
    version: row.version,
    hostname: row.hostname,
    os: row.os,
    arch: row.arch,
    joinedAt: row.joinedAt.toISOString(),
    lastSeenAt: iso(row.lastSeenAt),
    cordoned: row.cordoned,
    draining: row.draining,
    heartbeatAgeMs: row.lastSeenAt ? Math.max(0, now - row.lastSeenAt.getTime()) : null,
    sandbox: row.sandbox,
  };
}

export function toTaskView(row: TaskRow, nodeName: string | null, waiting = false): TaskView {
  return {
    id: row.id,
    name: row.name,
    agent: row.agent,
    argv: row.argv,
    prompt: row.prompt,
    model: row.model,
    thinking: row.thinking,
    selector: row.selector,
    priority: row.priority,
    timeoutMs: row.timeoutMs,
    maxAttempts: row.maxAttempts,
    idempotent: row.idempotent,
    onDisconnect: row.onDisconnect as TaskView["onDisconnect"],
    notBefore: row.state === "queued" ? iso(row.notBefore) : null,
    policy: row.policy as TaskView["policy"],
    affinityKey: row.affinityKey,
    spreadLabel: row.spreadLabel,
    group: row.groupName,
    groupLimit: row.groupLimit,
    maxCostUsd: row.maxCostUsd,
    retryOn: row.retryOn as TaskView["retryOn"],
    costUsd: row.costUsd,
    tokens: { input: row.inputTokens, output: row.outputTokens },
    pending: row.state === "queued" ? row.pendingReason : null,
    waiting,
    repo: row.repo,
    ref: row.ref,
    verify: row.verify,
    idleTimeoutMs: row.idleTimeoutMs,
    outputCapBytes: row.outputCapBytes,
    approveBefore: row.approveBefore as TaskView["approveBefore"],
    approveTools: row.approveTools,
    approveToolsTimeoutMs: row.approveToolsTimeoutMs,
    network: row.network === "none" ? "none" : null,
    workspace: row.workspace,
    verifyResult: row.verifyResult,
    result: row.result,
    state: row.state as TaskView["state"],
    attempts: row.attempts,
    nodeId: row.nodeId,
    nodeName,
    exitCode: row.exitCode,
    reason: row.reason as FailureReason | null,
    message: row.message,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    createdBy: row.createdBy,
  };
}

export function toAttemptView(row: ClaimRow, nodeName: string): AttemptView {
  return {
    claimId: row.id,
    attempt: row.attempt,
    token: row.token,
    nodeId: row.nodeId,
    nodeName,
    state: row.state as AttemptView["state"],
    offeredAt: row.offeredAt.toISOString(),
    acceptedAt: iso(row.acceptedAt),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    exitCode: row.exitCode,
    signal: row.signal,
    reason: row.reason as FailureReason | null,
    message: row.message,
  };
}

export function toJoinKeyView(row: typeof joinKeys.$inferSelect, now: number): JoinKeyView {
  const state = row.revokedAt ? "revoked" : row.expiresAt.getTime() <= now ? "expired" : row.used >= row.uses ? "exhausted" : "active";
  return {
    id: row.id,
    state,
    uses: row.uses,
    used: row.used,
    labels: row.labels,
    description: row.description,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    revokedAt: iso(row.revokedAt),
  };
}

export function toTokenView(row: typeof apiTokens.$inferSelect): TokenView {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: iso(row.lastUsedAt),
    revokedAt: iso(row.revokedAt),
  };
}
