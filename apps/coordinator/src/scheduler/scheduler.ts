// Places queued tasks on connected nodes. Event-driven: callers ask for a pass when something changed (submit,
// slot freed, node connected, lease lapsed); passes never overlap, and a request during a pass schedules exactly
// one more. One transaction places a whole batch, taking queued rows with FOR UPDATE SKIP LOCKED so several
// coordinators on one database never place a task twice.
import type { ClaimOffer, PlacementPolicy } from "@muster/protocol";
import { and, eq, gt, min, sql } from "drizzle-orm";
import type { Clock } from "../clock.js";
import type { TaskRow } from "../claims/fencing.js";
import { buildOffer } from "../claims/offers.js";
import type { Journal } from "../events/journal.js";
import { newId } from "../ids.js";
import type { Logger } from "../log.js";
import type { Tx, Db } from "../store/db.js";
import { claims, tasks } from "../store/schema.js";
import { readAffinity, readFleet, readGroups, readQueue, spentToday, toQueued } from "./fleet.js";
import { planPlacements, type Plan } from "./placement.js";

/** A node this process can offer work to right now. */
export interface OfferTarget {
  nodeId: string;
  labels: Record<string, string>;
  agents: ReadonlySet<string>;
  capacity: number;
  accepting: boolean;
  offer(offer: ClaimOffer): void;
}

export interface SchedulerDeps {
  db: Db;
  log: Logger;
  clock: Clock;
  journal: Journal;
  leaseMs: number;
  targets(): OfferTarget[];
  policy: PlacementPolicy;
  affinityWaitMs: number;
  priorityAgingMs: number;
  dailyBudgetUsd?: number | undefined;
  /** Tasks considered per pass. */
  batchSize?: number;
  /** How long a node that refused a task is passed over for it. */
  refusalCooldownMs?: number;
}

export class Scheduler {
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  /** taskId -> nodeId -> until when that node is passed over for the task. */
  readonly #refusals = new Map<string, Map<string, number>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #lastOfferAt = new Map<string, number>();
  #roundRobinAfter: string | null = null;
  /** Wakes a pass when the earliest backed-off task or affinity wait becomes due. */
  #dueTimer: NodeJS.Timeout | undefined;
  #dueAt = Infinity;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Asks for a placement pass; resolves when the pass that covers this request has run. */
  request(why: string): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop(why).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Remembers that a node refused a task, and asks for another pass once the cool-down is over. */
  noteRefusal(taskId: string, nodeId: string): void {
    const ms = this.deps.refusalCooldownMs ?? 5000;
    let byNode = this.#refusals.get(taskId);
    if (!byNode) this.#refusals.set(taskId, (byNode = new Map()));
    byNode.set(nodeId, this.deps.clock.now() + ms);
    this.#wakeIn(ms, "refusal cool-down over");
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#dueTimer);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  #wakeIn(ms: number, why: string): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      void this.request(why);
    }, ms);
    t.unref();
    this.#timers.add(t);
  }

  async #loop(why: string): Promise<void> {
    do {
      this.#again = false;
      try {
        const placed = await this.#pass();
        if (placed > 0) this.deps.log.debug({ placed, why }, "tasks placed");
        if (placed >= (this.deps.batchSize ?? 200)) this.#again = true;
      } catch (err) {
        this.deps.log.error({ err }, "placement pass failed");
      }
    } while (this.#again && !this.#stopped);
  }

  async #pass(): Promise<number> {
    const { db, clock } = this.deps;
    const now = new Date(clock.now());
    const sessions = new Map(this.deps.targets().map((t) => [t.nodeId, t]));
    const offers: { target: OfferTarget; offer: ClaimOffer }[] = [];
    await db.transaction(async (tx) => {
      await this.#armDueTimer(tx, now);
      const queue = await readQueue(tx, now, { limit: this.deps.batchSize ?? 200, agingMs: this.deps.priorityAgingMs });
      if (queue.length === 0) return;
      const queued = queue.map((t) => toQueued(t, this.deps.policy));
      const withIdle = queued.some((t) => t.policy === "earliest-idle");
      const plan = planPlacements({
        now: now.getTime(),
        tasks: queued,
        nodes: await readFleet(tx, sessions, now, this.#lastOfferAt, withIdle),
        groupRunning: await readGroups(tx, queue),
        affinityNode: await readAffinity(tx, queue),
        affinityWaitMs: this.deps.affinityWaitMs,
        roundRobinAfter: this.#roundRobinAfter,
        budgetSpent: await this.#budgetSpent(tx, now),
        refused: (taskId) => this.#refusedBy(taskId),
      });
      this.#roundRobinAfter = plan.roundRobinAfter;
      const byId = new Map(queue.map((t) => [t.id, t]));
      for (const { task, claim, nodeId } of await writePlacements(tx, plan, byId, now)) {
        this.#lastOfferAt.set(nodeId, now.getTime());
        offers.push({ target: sessions.get(nodeId)!, offer: buildOffer(task, claim, this.deps.leaseMs) });
      }
      await writePending(tx, plan, byId);
      if ([...plan.pending.values()].some((r) => r.startsWith("waiting up to"))) this.#wakeIn(1000, "affinity wait");
    });
    for (const { target, offer } of offers) {
      target.offer(offer);
      this.deps.journal.offered({ taskId: offer.taskId, claimId: offer.claimId, token: offer.token, nodeId: target.nodeId });
    }
    return offers.length;
  }

  async #budgetSpent(tx: Tx, now: Date): Promise<string | null> {
    const daily = this.deps.dailyBudgetUsd;
    if (daily === undefined) return null;
    const spent = await spentToday(tx, now);
    return spent >= daily ? `daily budget spent ($${spent.toFixed(2)} of $${daily.toFixed(2)})` : null;
  }

  async #armDueTimer(tx: Tx, now: Date): Promise<void> {
    const [next] = await tx
      .select({ at: min(tasks.notBefore) })
      .from(tasks)
      .where(and(eq(tasks.state, "queued"), gt(tasks.notBefore, now)));
    const at = next?.at?.getTime();
    if (at === undefined || at >= this.#dueAt) return;
    clearTimeout(this.#dueTimer);
    this.#dueAt = at;
    this.#dueTimer = setTimeout(() => {
      this.#dueAt = Infinity;
      void this.request("retry backoff over");
    }, at - now.getTime());
    this.#dueTimer.unref();
  }

  #refusedBy(taskId: string): ReadonlySet<string> | undefined {
    const byNode = this.#refusals.get(taskId);
    if (!byNode) return undefined;
    const now = this.deps.clock.now();
    for (const [nodeId, until] of byNode) if (until <= now) byNode.delete(nodeId);
    if (byNode.size === 0) {
      this.#refusals.delete(taskId);
      return undefined;
    }
    return new Set(byNode.keys());
  }
}

/** One insert for all new claims and one update for all placed tasks. */
async function writePlacements(tx: Tx, plan: Plan, byId: Map<string, TaskRow>, now: Date) {
  if (plan.placements.length === 0) return [];
  const rows = plan.placements.map(({ taskId, nodeId }) => {
    const task = byId.get(taskId)!;
    return { id: newId("clm", now.getTime()), taskId, nodeId, token: task.lastToken + 1, attempt: task.attempts + 1, offeredAt: now };
  });
  const inserted = await tx.insert(claims).values(rows).returning();
  const values = sql.join(
    inserted.map((c) => sql`(${c.taskId}::text, ${c.token}::int, ${c.id}::text, ${c.nodeId}::text)`),
    sql`, `,
  );
  await tx.execute(sql`
    update tasks as t set state = 'assigned', last_token = v.token, current_claim_id = v.claim, node_id = v.node,
      not_before = null, pending_reason = null, updated_at = ${now.toISOString()}::timestamptz
    from (values ${values}) as v(id, token, claim, node)
    where t.id = v.id`);
  return inserted.map((claim) => ({ task: byId.get(claim.taskId)!, claim, nodeId: claim.nodeId }));
}

/** Records why each task still waits, touching only rows whose reason changed. */
async function writePending(tx: Tx, plan: Plan, byId: Map<string, TaskRow>): Promise<void> {
  const changed = [...plan.pending].filter(([id, reason]) => byId.get(id)?.pendingReason !== reason);
  if (changed.length === 0) return;
  const values = sql.join(
    changed.map(([id, reason]) => sql`(${id}::text, ${reason}::text)`),
    sql`, `,
  );
  await tx.execute(sql`update tasks as t set pending_reason = v.reason from (values ${values}) as v(id, reason) where t.id = v.id`);
}
