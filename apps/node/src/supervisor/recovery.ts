// After a restart: the claims a previous daemon left in the outbox. Their workers died with it (or must now),
// so each one without a result gets `interrupted`, and whatever of them still runs is killed first.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ClaimDone } from "@muster/protocol";
import type { Logger } from "../log.js";
import type { ClaimJournal, StoredClaim } from "./journal.js";
import type { RestoredClaim } from "./supervisor.js";
import { signalGroup } from "./worker.js";

/** A live process whose environment names one of the claims. */
export interface ClaimProcess {
  pid: number;
  pgid: number;
  claimId: string;
}

const CLAIM_VAR = "MUSTER_CLAIM_ID=";

/** pgrp and state from /proc/<pid>/stat; the command name may hold spaces and parens, so parse after the last ')'. */
function readStat(path: string): { state: string; pgrp: number } | null {
  try {
    const stat = readFileSync(path, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pgrp = Number(fields[2]);
    return fields[0] && Number.isInteger(pgrp) ? { state: fields[0], pgrp } : null;
  } catch {
    return null;
  }
}

/**
 * Finds processes that belong to the given claims. A recorded pid or pgid alone proves nothing (pids are
 * reused); MUSTER_CLAIM_ID=<claim> in the process's environment does. Null when there is no /proc to read.
 */
export function findClaimProcesses(claimIds: ReadonlySet<string>, procDir = "/proc"): ClaimProcess[] | null {
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch {
    return null;
  }
  const found: ClaimProcess[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(join(procDir, name, "environ"), "latin1");
    } catch {
      continue; // gone, or another user's
    }
    const entry = environ.split("\0").find((e) => e.startsWith(CLAIM_VAR));
    const claimId = entry?.slice(CLAIM_VAR.length);
    if (!claimId || !claimIds.has(claimId)) continue;
    const stat = readStat(join(procDir, name, "stat"));
    if (stat && stat.state !== "Z") found.push({ pid: Number(name), pgid: stat.pgrp, claimId });
  }
  return found;
}

export interface LeftoverOptions {
  log: Logger;
  procDir?: string;
  /** How long to wait for killed processes to be gone. */
  waitMs?: number;
}

/** SIGKILLs every process still running for these claims, and the recorded group of each one found; returns how many. */
export async function killLeftovers(
  claims: readonly { claimId: string; pgid: number | null }[],
  { log, procDir, waitMs = 2000 }: LeftoverOptions,
): Promise<number> {
  const pgidOf = new Map(claims.map((c) => [c.claimId, c.pgid]));
  const found = findClaimProcesses(new Set(pgidOf.keys()), procDir);
  if (found === null) {
    log.warn("no /proc to check for workers a previous daemon left behind");
    return 0;
  }
  for (const p of found) {
    // The whole recorded group goes only once a process proven to be the claim's is seen in it.
    if (pgidOf.get(p.claimId) === p.pgid) signalGroup(p.pgid, "SIGKILL");
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  if (found.length > 0)
    log.warn({ processes: found.length, claims: [...new Set(found.map((p) => p.claimId))] }, "killed workers left by a previous daemon");
  const pids = new Set(found.map((p) => p.pid));
  const deadline = Date.now() + waitMs;
  while (pids.size > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    const alive = new Set((findClaimProcesses(new Set(pgidOf.keys()), procDir) ?? []).map((p) => p.pid));
    for (const pid of pids) if (!alive.has(pid)) pids.delete(pid);
  }
  if (pids.size > 0) log.error({ pids: [...pids] }, "workers left by a previous daemon would not die");
  return found.length;
}

export interface RecoverOptions extends LeftoverOptions {
  journal: ClaimJournal;
  now?: () => number;
}

/**
 * Turns what the outbox held into claims the supervisor reports: those with a result as `exited`, the others
 * as `interrupted` with a result written after their last record, once no process of theirs is left.
 */
export async function recoverClaims(stored: readonly StoredClaim[], opts: RecoverOptions): Promise<RestoredClaim[]> {
  if (stored.length === 0) return [];
  const { journal, log, now = Date.now } = opts;
  await killLeftovers(stored.map((c) => ({ claimId: c.offer.claimId, pgid: c.pgid })), opts);
  return stored.map(({ offer, done, lastSeq }): RestoredClaim => {
    if (done) return { offer, done, phase: "exited" };
    const interrupted: ClaimDone = {
      claimId: offer.claimId,
      taskId: offer.taskId,
      token: offer.token,
      lastSeq,
      outcome: {
        status: "failed",
        exitCode: null,
        signal: null,
        reason: "interrupted",
        message: "the node daemon restarted",
        workspace: null,
        verify: null,
      },
      finishedAt: now(),
    };
    journal.finished(interrupted);
    log.warn({ claimId: offer.claimId, taskId: offer.taskId, lastSeq }, "claim interrupted by a daemon restart");
    return { offer, done: interrupted, phase: "interrupted" };
  });
}
