// A node session wired like the daemon wires it (durable outbox, restart recovery), pointed at a FakeCoordinator.
import { mkdtemp } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClaimOffer, TaskSpec } from "@muster/protocol";
import { afterEach, beforeEach } from "vitest";
import { AgentCatalog } from "../agents/catalog.js";
import { prepareMusterBin } from "../asks/cli-bin.js";
import { AskHub } from "../asks/hub.js";
import { AgentsConfig } from "../config.js";
import { generateNodeKeyPair, type NodeKeyPair } from "../identity/keys.js";
import { createNodeTokenSigner } from "../identity/token.js";
import { silentLogger } from "../log.js";
import { recoverClaims } from "../supervisor/recovery.js";
import { Supervisor } from "../supervisor/supervisor.js";
import { FakeCoordinator } from "./coordinator.fake.js";
import type { Clock } from "./lease.js";
import { DiskOutbox } from "./outbox.js";
import { NodeSession, type SessionEnd } from "./session.js";

export const NODE = process.execPath;

export interface TestNodeOptions {
  capacity?: number;
  /** Reuse a data dir, as a restarted daemon does. */
  dataDir?: string;
  clock?: Clock;
}

export interface TestNode {
  session: NodeSession;
  supervisor: Supervisor;
  outbox: DiskOutbox;
  asks: AskHub;
  dataDir: string;
  running: Promise<SessionEnd>;
}

export async function startTestNode(coord: FakeCoordinator, keys: NodeKeyPair, opts: TestNodeOptions = {}): Promise<TestNode> {
  const { capacity = 2 } = opts;
  const agents = await AgentCatalog.detect(AgentsConfig.parse({}), { pathEnv: "" });
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), "muster-session-")));
  const { outbox, stored } = DiskOutbox.open(join(dataDir, "claims"), silentLogger());
  const asks = new AskHub({ dataDir, claimDir: (claimId) => join(dataDir, "claims", claimId), log: silentLogger() });
  const restored = await recoverClaims(stored, { journal: outbox, log: silentLogger() });
  const supervisor = new Supervisor({
    capacity,
    dataDir,
    journal: outbox,
    agents,
    passEnv: [],
    daemonEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    log: silentLogger(),
    killGraceMs: 200,
    asks,
    endpoints: asks,
    musterBinDir: prepareMusterBin({ binDir: join(dataDir, "bin") }),
  });
  supervisor.restore(restored);
  const session = new NodeSession({
    url: coord.url,
    nodeId: "nod_1",
    capacity,
    labels: { zone: "a" },
    agents: agents.advertised(),
    signToken: await createNodeTokenSigner({ nodeId: "nod_1", audience: "muster:test", privateKey: keys.privateKey }),
    supervisor,
    outbox,
    log: silentLogger(),
    replies: asks,
    random: () => 0,
    backoff: { baseMs: 10, maxMs: 40 },
    flushIntervalMs: 10,
    ackWaitMs: 200,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  return { session, supervisor, outbox, asks, dataDir, running: session.run() };
}

export interface SessionFixture {
  coord: FakeCoordinator;
  keys: NodeKeyPair;
  /** The node a test starts; its workers are stopped after the test. */
  node: TestNode | null;
}

/** For each test of the file: a started fake coordinator and fresh node keys; afterwards, everything stopped. */
export function useSessionFixture(): SessionFixture {
  const f = { node: null } as SessionFixture;
  beforeEach(async () => {
    f.coord = new FakeCoordinator();
    await f.coord.start();
    f.keys = await generateNodeKeyPair();
    f.node = null;
  });
  afterEach(async () => {
    f.node?.session.stopWorkers();
    await f.node?.running;
    await f.coord.stop();
  });
  return f;
}

export function offer(n: number, argv: string[], task: Partial<TaskSpec> = {}): ClaimOffer {
  return {
    claimId: `clm_${n}`,
    taskId: `tsk_${n}`,
    token: n,
    attempt: 1,
    leaseMs: 5000,
    task: {
      ...{ agent: "exec", argv, prompt: null, model: null, thinking: null, env: {}, timeoutMs: 10_000, onDisconnect: "stop" },
      ...{ maxCostUsd: null, repo: null, verify: null, idleTimeoutMs: null, outputCapBytes: null, approveBefore: null },
      ...task,
    },
  };
}

export const ref = (n: number) => ({ claimId: `clm_${n}`, taskId: `tsk_${n}`, token: n });
export const sleeper = (n: number, task: Partial<TaskSpec> = {}) =>
  offer(n, [NODE, "-e", "console.log('up'); setInterval(() => {}, 1000)"], task);

/** Alive and not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
