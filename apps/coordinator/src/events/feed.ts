// The fleet's live event feed for the console (`GET /v1/events`): bus events numbered in arrival order and kept
// in a ring, so a client that reconnects with Last-Event-ID gets what it missed, or a `reset` when that is gone.
import type { FleetEvent } from "@muster/protocol";
import type { EventBus } from "./bus.js";

export interface FeedEntry {
  id: number;
  event: FleetEvent;
}

export class EventFeed {
  readonly #ring: FeedEntry[] = [];
  readonly #listeners = new Set<(e: FeedEntry) => void>();
  #next: number;

  /**
   * Ids start from the boot time (µs-sized numbers stay exact in a double), so an id from before a restart is
   * older than anything in the ring and its client gets `reset` instead of silently missing the gap.
   */
  constructor(
    bus: EventBus,
    private readonly capacity = 2000,
    firstId = Date.now() * 1000 + 1,
  ) {
    this.#next = firstId;
    bus.on("task.changed", (e) => this.#push({ type: "task", taskId: e.taskId, state: e.state }));
    bus.on("node.changed", (e) => this.#push({ type: "node", nodeId: e.nodeId, state: e.state }));
    bus.on("ask.changed", (e) => this.#push({ type: "ask", askId: e.askId, taskId: e.taskId, state: e.state as never }));
    bus.on("joinkey.changed", (e) => this.#push({ type: "join_key", joinKeyId: e.joinKeyId, state: e.state }));
    bus.on("task.records", (e) => this.#push({ type: "records", taskId: e.taskId, claimId: e.claimId }));
  }

  /** Entries after `lastId`, or null when some of them have already left the ring. */
  since(lastId: number): FeedEntry[] | null {
    if (lastId === this.#next - 1) return [];
    // An id this feed never gave out comes from another coordinator process: nothing can be resumed.
    if (lastId > this.#next - 1) return null;
    const oldest = this.#ring[0]?.id ?? this.#next;
    if (lastId < oldest - 1) return null;
    return this.#ring.filter((e) => e.id > lastId);
  }

  get lastId(): number {
    return this.#next - 1;
  }

  subscribe(fn: (e: FeedEntry) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #push(event: FleetEvent): void {
    const entry = { id: this.#next++, event };
    this.#ring.push(entry);
    if (this.#ring.length > this.capacity) this.#ring.shift();
    for (const fn of this.#listeners) fn(entry);
  }
}
