// A supervisor over a temp data dir for tests of whole attempts: records and results collected per claim.
import { ClaimOffer, type ClaimRecord, type TaskSpec } from "@muster/protocol";
import { expect } from "vitest";
import type { AgentCatalog } from "../agents/catalog.js";
import { silentLogger } from "../log.js";
import { COMMIT_ENV } from "../workspace/repo.fake.js";
import { Workspaces } from "../workspace/workspaces.js";
import type { FakeAskChannel } from "./ask-channel.fake.js";
import { Supervisor, type HeldClaim } from "./supervisor.js";

/**
 * Claim ids of these tests are their own: restart recovery elsewhere in the suite kills every process whose
 * environment names a claim it recovers (clm_1...), whichever test started it.
 */
export const cid = (n: number) => `clm_att${n}`;

export function offer(n: number, task: Partial<TaskSpec>, taskId = `tsk_${n}`): ClaimOffer {
  return ClaimOffer.parse({
    claimId: cid(n),
    taskId,
    token: n,
    attempt: 1,
    leaseMs: 1000,
    task: { agent: "exec", timeoutMs: 10_000, env: COMMIT_ENV, ...task },
  });
}

export const sh = (script: string) => ({ argv: ["sh", "-c", script] });

export interface HarnessOptions {
  dataDir: string;
  agents: AgentCatalog;
  asks?: FakeAskChannel;
  keepSucceeded?: boolean;
}

export function supervisorHarness({ dataDir, agents, asks, keepSucceeded = false }: HarnessOptions) {
  const log = silentLogger();
  const workspaces = new Workspaces({ dataDir, log, policy: { keepSucceeded, keepFailedForMs: 3_600_000 } });
  const supervisor = new Supervisor({
    capacity: 4,
    dataDir,
    agents,
    passEnv: [],
    daemonEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" },
    log,
    killGraceMs: 300,
    workspaces,
    ...(asks ? { asks } : {}),
  });
  const records = new Map<string, ClaimRecord[]>();
  const exited: HeldClaim[] = [];
  supervisor.subscribe({
    recordProduced: (claim, record) => records.set(claim.claimId, [...(records.get(claim.claimId) ?? []), record]),
    claimExited: (claim) => exited.push(claim),
    idle() {},
  });
  const ended = async (claimId: string) => {
    await expect.poll(() => exited.find((c) => c.claimId === claimId), { timeout: 10_000, interval: 10 }).toBeDefined();
    return exited.find((c) => c.claimId === claimId)!.done!;
  };
  const logText = (claimId: string) => (records.get(claimId) ?? []).flatMap((r) => (r.kind === "log" ? [r.text] : [])).join("");
  return { supervisor, workspaces, records, exited, ended, logText };
}
