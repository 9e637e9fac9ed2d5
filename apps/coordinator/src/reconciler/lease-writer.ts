// Lease renewals from every node's heartbeats, written as one statement per batch (group commit): a renewal that
// arrives while a batch is being written waits for the next one, so load makes batches bigger, not more frequent.
import type { Labels, NodeState } from "@muster/protocol";
import { sql } from "drizzle-orm";
import type { Db } from "../store/db.js";
import { rowsOf } from "../store/rows.js";

export interface Renewal {
  nodeId: string;
  sessionId: string;
  seenAt: Date;
  expiresAt: Date;
  capacity: number;
  draining: boolean;
}

export interface RenewedNode {
  id: string;
  state: NodeState;
  previousState: NodeState;
  cordoned: boolean;
  draining: boolean;
  labels: Labels;
}

interface Waiter {
  renewal: Renewal;
  resolve(node: RenewedNode | null): void;
  reject(err: unknown): void;
}

export class LeaseWriter {
  #pending = new Map<string, Waiter[]>();
  #writing = false;

  constructor(private readonly db: Db) {}

  /** Renews one node's lease; resolves with its row once written, or null when the session no longer owns it. */
  renew(renewal: Renewal): Promise<RenewedNode | null> {
    return new Promise((resolve, reject) => {
      const list = this.#pending.get(renewal.nodeId) ?? [];
      list.push({ renewal, resolve, reject });
      this.#pending.set(renewal.nodeId, list);
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#pending.size > 0) {
        const batch = this.#pending;
        this.#pending = new Map();
        // The newest renewal of each node wins; every waiter gets the written row.
        const latest = [...batch.values()].map((ws) => ws[ws.length - 1]!.renewal);
        try {
          const rows = await this.#write(latest);
          const byId = new Map(rows.map((r) => [r.id, r]));
          for (const [id, ws] of batch) for (const w of ws) w.resolve(byId.get(id) ?? null);
        } catch (err) {
          for (const ws of batch.values()) for (const w of ws) w.reject(err);
        }
      }
    } finally {
      this.#writing = false;
    }
  }

  async #write(renewals: Renewal[]): Promise<RenewedNode[]> {
    const values = sql.join(
      renewals.map(
        (r) =>
          sql`(${r.nodeId}::text, ${r.sessionId}::text, ${r.seenAt.toISOString()}::timestamptz, ${r.expiresAt.toISOString()}::timestamptz, ${r.capacity}::int, ${r.draining}::boolean)`,
      ),
      sql`, `,
    );
    const result = await this.db.execute(sql`
      update nodes as n set
        last_seen_at = v.seen,
        lease_expires_at = v.exp,
        capacity = v.cap,
        state = case when n.draining or v.draining then 'draining' when n.cordoned then 'cordoned' else 'ready' end
      from (values ${values}) as v(id, session, seen, exp, cap, draining), nodes as o
      where n.id = v.id and o.id = n.id and n.session_id = v.session and n.state <> 'revoked'
      returning n.id, n.state, o.state as previous_state, n.cordoned, n.draining, n.labels`);
    return rowsOf<{ id: string; state: NodeState; previous_state: NodeState; cordoned: boolean; draining: boolean; labels: Labels }>(
      result,
    ).map((r) => ({
      id: r.id,
      state: r.state,
      previousState: r.previous_state,
      cordoned: r.cordoned,
      draining: r.draining,
      labels: typeof r.labels === "string" ? (JSON.parse(r.labels) as Labels) : r.labels,
    }));
  }
}
