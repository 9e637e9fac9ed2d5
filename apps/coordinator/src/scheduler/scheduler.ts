// Places queued tasks on connected nodes. Event-driven: callers ask for a pass when something changed;
// passes never overlap, and a request during a pass schedules exactly one more.
import type { ClaimOffer, TaskState } from "@muster/protocol";
import { LIVE_CLAIM_STATES, parseSelector } from "@muster/protocol";
import { and, asc, desc, eq, gt, inArray, isNull, lte, min, or, sql } from "drizzle-orm";
import type { Clock } from "../clock.js";
import { buildOffer } from "../claims/offers.js";
import type { Journal } from "../events/journal.js";
import { newId } from "../ids.js";
import type { Logger } from "../log.js";
import type { Db, Tx } from "../store/db.js";
import { claims, tasks } from "../store/schema.js";
import { pickNode, type Candidate } from "./placement.js";

/** A node this process can offer work to right now. */
export interface OfferTarget {
  nodeId: string;
  labels: Candidate["labels"];
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
  /** Tasks placed per pass. */
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
  /** Wakes a pass when the earliest backed-off task becomes due. */
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
    const t = setTimeout(() => {
      this.#timers.delete(t);
      void this.request("refusal cool-down over");
    }, ms);
    t.unref();
    this.#timers.add(t);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#dueTimer);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
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
    const targets = this.deps.targets().filter((t) => t.accepting && t.capacity > 0);
    if (targets.length === 0) return 0;
    const { db, clock } = this.deps;
    const now = new Date(clock.now());
    const offers: { target: OfferTarget; offer: ClaimOffer }[] = [];
    await db.transaction(async (tx) => {
      const counts = await tx
        .select({ nodeId: claims.nodeId, n: sql<number>`count(*)::int` })
        .from(claims)
        .where(and(inArray(claims.nodeId, targets.map((t) => t.nodeId)), inArray(claims.state, [...LIVE_CLAIM_STATES])))
        .groupBy(claims.nodeId);
      const running = new Map(counts.map((c) => [c.nodeId, Number(c.n)]));
      const candidates: (Candidate & { target: OfferTarget })[] = targets.map((t) => ({
        nodeId: t.nodeId,
        labels: t.labels,
        agents: t.agents,
        capacity: t.capacity,
        running: running.get(t.nodeId) ?? 0,
        lastOfferAt: this.#lastOfferAt.get(t.nodeId) ?? 0,
        target: t,
      }));
      const free = candidates.reduce((n, c) => n + Math.max(0, c.capacity - c.running), 0);
      if (free === 0) return;
      await this.#armDueTimer(tx, now);
      const queued = await tx
        .select()
        .from(tasks)
        .where(and(eq(tasks.state, "queued" satisfies TaskState), or(isNull(tasks.notBefore), lte(tasks.notBefore, now))))
        .orderBy(desc(tasks.priority), asc(tasks.createdAt), asc(tasks.id))
        .limit(this.deps.batchSize ?? 200)
        .for("update", { skipLocked: true });
      for (const task of queued) {
        const picked = pickNode(
          { id: task.id, agent: task.agent, requirements: parseSelector(task.selector) },
          candidates,
          this.#refusedBy(task.id),
        ) as (Candidate & { target: OfferTarget }) | null;
        if (!picked) continue;
        const token = task.lastToken + 1;
        const [claim] = await tx
          .insert(claims)
          .values({
          id: newId("clm", now.getTime()),
          taskId: task.id,
          nodeId: picked.nodeId,
          token,
          attempt: task.attempts + 1,
          offeredAt: now,
        })
          .returning();
        await tx
          .update(tasks)
          .set({
            state: "assigned",
            lastToken: token,
            currentClaimId: claim!.id,
            nodeId: picked.nodeId,
            notBefore: null,
            updatedAt: now,
          })
          .where(eq(tasks.id, task.id));
        picked.running += 1;
        picked.lastOfferAt = now.getTime() + offers.length;
        this.#lastOfferAt.set(picked.nodeId, picked.lastOfferAt);
        offers.push({ target: picked.target, offer: buildOffer(task, claim!, this.deps.leaseMs) });
      }
    });
    for (const { target, offer } of offers) {
      target.offer(offer);
      this.deps.journal.offered({ taskId: offer.taskId, claimId: offer.claimId, token: offer.token, nodeId: target.nodeId });
    }
    return offers.length;
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

  #refusedBy(taskId: string): Set<string> | undefined {
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
