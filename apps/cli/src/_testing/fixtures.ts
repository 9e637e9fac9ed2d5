// Protocol-valid bodies for tests; each is parsed with its schema so a fixture can never drift.
import {
  AskView,
  type AttemptView,
  JoinKeyCreated,
  type LogEntry,
  NodeView,
  Status,
  TaskDetail,
  TaskView,
  TokenCreated,
  WhoAmI,
} from "@muster/protocol";

export const NOW = Date.parse("2025-03-01T12:00:00.000Z");
export const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();

export const whoami = (over: Partial<WhoAmI> = {}) => WhoAmI.parse({ tokenId: "tok1", name: "admin", role: "admin", ...over });

export function nodeView(over: Partial<NodeView> = {}): NodeView {
  return NodeView.parse({
    id: "nod_1",
    name: "gpu-1",
    state: "ready",
    connected: true,
    labels: { gpu: "true", zone: "a" },
    capacity: 4,
    running: 1,
    agents: [
      { name: "exec", kind: "exec", version: null },
      { name: "claude", kind: "preset", version: "1.0.3" },
    ],
    version: "0.1.0",
    hostname: "gpu-1.lan",
    os: "linux",
    arch: "x64",
    joinedAt: iso(3_600_000),
    lastSeenAt: iso(2000),
    cordoned: false,
    draining: false,
    heartbeatAgeMs: 2000,
    sandbox: { mode: "bwrap", network: "on" },
    ...over,
  });
}

export function status(over: Partial<Status> = {}): Status {
  return Status.parse({
    coordinator: { id: "coord-1", version: "0.1.0", database: "pglite", startedAt: iso(3 * 3_600_000) },
    nodes: [nodeView(), nodeView({ id: "nod_2", name: "cpu-1", state: "lost", connected: false, labels: {}, running: 0, capacity: 2, agents: [], heartbeatAgeMs: null, version: null, sandbox: null })],
    tasks: { queued: 3, assigned: 0, running: 1, succeeded: 10, failed: 2, cancelled: 0 },
    budget: { dailyUsd: null, spentTodayUsd: 0, exhausted: false },
    ...over,
  });
}

export function taskView(over: Partial<TaskView> = {}): TaskView {
  return TaskView.parse({
    id: "tsk_1",
    name: null,
    agent: "exec",
    argv: ["make", "test"],
    prompt: null,
    model: null,
    thinking: null,
    selector: "",
    priority: 0,
    timeoutMs: 3_600_000,
    maxAttempts: 3,
    idempotent: false,
    onDisconnect: "stop",
    notBefore: null,
    policy: null,
    affinityKey: null,
    spreadLabel: null,
    group: null,
    groupLimit: null,
    maxCostUsd: null,
    retryOn: null,
    costUsd: 0,
    tokens: { input: 0, output: 0 },
    pending: null,
    waiting: false,
    repo: null,
    ref: null,
    verify: null,
    idleTimeoutMs: null,
    outputCapBytes: null,
    approveBefore: null,
    workspace: null,
    verifyResult: null,
    state: "queued",
    attempts: 0,
    nodeId: null,
    nodeName: null,
    exitCode: null,
    reason: null,
    message: null,
    createdAt: iso(300_000),
    updatedAt: iso(300_000),
    startedAt: null,
    finishedAt: null,
    createdBy: "admin",
    ...over,
  });
}

export function attempt(over: Partial<AttemptView> = {}): AttemptView {
  return {
    claimId: "clm_1",
    attempt: 1,
    token: 1,
    nodeId: "nod_1",
    nodeName: "gpu-1",
    state: "done",
    offeredAt: iso(200_000),
    acceptedAt: iso(199_000),
    startedAt: iso(199_000),
    finishedAt: iso(100_000),
    exitCode: 0,
    signal: null,
    reason: null,
    message: null,
    ...over,
  };
}

export const taskDetail = (over: Partial<TaskDetail> = {}) => TaskDetail.parse({ ...taskView(over), claims: [], ...over });

export function logEntry(seq: number, text: string, stream: "stdout" | "stderr" = "stdout", attemptNo = 1): LogEntry {
  return { claimId: `clm_${attemptNo}`, attempt: attemptNo, record: { seq, ts: NOW, kind: "log", stream, text } };
}

export function startedEntry(seq = 1, attemptNo = 1): LogEntry {
  return {
    claimId: `clm_${attemptNo}`,
    attempt: attemptNo,
    record: { seq, ts: NOW, kind: "started", pid: 123, command: ["make", "test"], workdir: "/w" },
  };
}

export function joinKeyCreated(over: Partial<JoinKeyCreated> = {}): JoinKeyCreated {
  return JoinKeyCreated.parse({
    id: "01JBXYZ4",
    state: "active",
    uses: 1,
    used: 0,
    labels: { zone: "a" },
    description: null,
    createdAt: iso(0),
    expiresAt: iso(-3_600_000),
    revokedAt: null,
    key: "mjk_01JBXYZ4_abcdefghijklmnopqrstuvwx",
    ...over,
  });
}

export function tokenCreated(over: Partial<TokenCreated> = {}): TokenCreated {
  return TokenCreated.parse({
    id: "01JBTOK1",
    name: "alice",
    role: "viewer",
    createdAt: iso(0),
    lastUsedAt: null,
    revokedAt: null,
    token: "mat_01JBTOK1_abcdefghijklmnopqrstuvwx",
    ...over,
  });
}

export function askView(over: Partial<AskView> = {}): AskView {
  return AskView.parse({
    id: "ask_1",
    taskId: "tsk_2",
    claimId: "clm_1",
    nodeId: "nod_1",
    nodeName: "gpu-1",
    question: "Merge the branch to main?",
    options: ["yes", "no"],
    gate: null,
    state: "pending",
    answer: null,
    answeredBy: null,
    createdAt: iso(120_000),
    answeredAt: null,
    ...over,
  });
}
