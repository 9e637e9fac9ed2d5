// The lease sweeper (DESIGN §4): a node whose lease lapsed is `lost`; after the grace its live claims expire and
// their tasks are re-queued or failed. It wakes at the next deadline it can see, and only one coordinator on a
// database sweeps at a time.
import type { NodeState, TaskState } from "@muster/protocol";
import { LIVE_CLAIM_STATES } from "@muster/protocol";
import { and, asc, eq, inArray, isNull, lt, min, or, sql } from "drizzle-orm";
import { endClaimAndRequeue } from "../claims/expire.js";
import type { ClaimRow } from "../claims/fencing.js";
import type { RetryPolicy } from "../claims/retry.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import type { Db, Tx } from "../store/db.js";
import { rowsOf } from "../store/rows.js";
import { claims, nodes, tasks } from "../store/schema.js";

const SWEEP_LOCK = 7391002;
const LEASED: NodeState[] = ["ready", "busy", "cordoned", "draining"];

export interface SweepResult {
  lost: string[];
  expired: { claim: ClaimRow; taskId: string; state: TaskState }[];
}

export interface SweeperDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  leaseMs: number;
  leaseGraceMs: number;
  policy: RetryPolicy;
  /** Told after each sweep that changed something, once it is committed. */
  onSweep(result: SweepResult): void;
}

export class LeaseSweeper {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #running: Promise<void> | null = null;

  constructor(private readonly deps: SweeperDeps) {}

  start(): void {
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** One sweep now (also what the timer runs); resolves when it is done. */
  sweepNow(): Promise<void> {
    this.#running ??= this.#run().finally(() => (this.#running = null));
    return this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.sweepNow(), Math.max(0, delayMs));
    this.#timer.unref();
  }

  async #run(): Promise<void> {
    let next = this.deps.leaseMs;
    try {
      const result = await sweep(this.deps.db, this.deps);
      if (result && (result.lost.length > 0 || result.expired.length > 0)) this.deps.onSweep(result);
      next = await this.#nextDeadlineIn();
    } catch (err) {
      this.deps.log.error({ err }, "lease sweep failed");
    }
    this.#schedule(next);
  }

  /** Milliseconds until the next lease lapse or grace end we can see, at most one lease. */
  async #nextDeadlineIn(): Promise<number> {
    const { db, clock, leaseMs, leaseGraceMs } = this.deps;
    const [leased] = await db
      .select({ at: min(nodes.leaseExpiresAt) })
      .from(nodes)
      .where(inArray(nodes.state, LEASED));
    const [holding] = await db
      .select({ at: min(nodes.leaseExpiresAt) })
      .from(nodes)
      .innerJoin(claims, and(eq(claims.nodeId, nodes.id), inArray(claims.state, [...LIVE_CLAIM_STATES])));
    const now = clock.now();
    const candidates = [now + leaseMs];
    if (leased?.at) candidates.push(leased.at.getTime() + 1);
    if (holding?.at) candidates.push(holding.at.getTime() + leaseGraceMs + 1);
    return Math.max(10, Math.min(...candidates) - now);
  }
}

/** Marks lapsed nodes lost and expires the claims of nodes past their grace. Null when another sweeper holds the lock. */
export async function sweep(
  db: Db,
  opts: { clock: Clock; leaseGraceMs: number; policy: RetryPolicy },
): Promise<SweepResult | null> {
  const now = new Date(opts.clock.now());
  const graceEnd = new Date(now.getTime() - opts.leaseGraceMs);
  return db.transaction(async (tx) => {
    const [lock] = rowsOf<{ ok: boolean }>(await tx.execute(sql`select pg_try_advisory_xact_lock(${SWEEP_LOCK}) as ok`));
    if (!lock?.ok) return null;
    const lost = await tx
      .update(nodes)
      .set({ state: "lost" })
      .where(and(inArray(nodes.state, LEASED), lt(nodes.leaseExpiresAt, now)))
      .returning({ id: nodes.id });
    const dead = await tx
      .select({ claim: claims })
      .from(claims)
      .innerJoin(nodes, eq(nodes.id, claims.nodeId))
      .where(
        and(inArray(claims.state, [...LIVE_CLAIM_STATES]), or(isNull(nodes.leaseExpiresAt), lt(nodes.leaseExpiresAt, graceEnd))),
      )
      .orderBy(asc(claims.taskId));
    const expired = [];
    for (const { claim } of dead) expired.push({ claim, ...(await expireClaim(tx, claim, now, opts.policy)) });
    return { lost: lost.map((n) => n.id), expired };
  });
}

async function expireClaim(tx: Tx, claim: ClaimRow, now: Date, policy: RetryPolicy) {
  const [task] = await tx.select().from(tasks).where(eq(tasks.id, claim.taskId)).for("update");
  return endClaimAndRequeue(tx, task!, claim, {
    now,
    claimState: "expired",
    reason: "lost",
    message: "the node stopped renewing its lease",
    policy,
  });
}
