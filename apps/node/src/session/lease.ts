// The node's lease as the node sees it (DESIGN §4). Each acknowledged heartbeat renews it to the moment that
// heartbeat was SENT plus the granted lease; the coordinator counts from when it RECEIVED it, so the node's
// deadline always comes first. Monotonic clock only: nothing here is compared with another machine's time.

/** Monotonic time and timers; tests hand in a fake one to move time on without sleeping. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const MONOTONIC_CLOCK: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Frames awaiting a lease-granting reply; more would mean the coordinator stopped answering long ago. */
const MAX_PENDING = 256;

export class NodeLease {
  private deadline: number | null = null;
  private timer: unknown;
  /** Send time of each frame (hello, heartbeat) whose reply renews the lease, by frame id. */
  private readonly sentAt = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly expired: () => void,
  ) {}

  /** Whether the node holds a lease now (it has none before the first welcome and after one ran out). */
  get held(): boolean {
    return this.deadline !== null;
  }

  /** Milliseconds left, or null without a lease. */
  remainingMs(): number | null {
    return this.deadline === null ? null : Math.max(0, this.deadline - this.clock.now());
  }

  /** A frame went out whose reply grants a lease. */
  sent(id: string): void {
    this.sentAt.set(id, this.clock.now());
    if (this.sentAt.size > MAX_PENDING) this.sentAt.delete(this.sentAt.keys().next().value!);
  }

  /** The reply to frame `re` granted `leaseMs`; a reply to no frame we sent renews nothing. */
  renew(re: string | undefined, leaseMs: number): void {
    const at = re === undefined ? undefined : this.sentAt.get(re);
    if (at === undefined) return;
    // Replies come in order, so anything sent before this frame will not be answered any more.
    for (const [id, t] of this.sentAt) if (t <= at) this.sentAt.delete(id);
    const deadline = at + leaseMs;
    if (this.deadline !== null && deadline <= this.deadline) return;
    this.deadline = deadline;
    this.schedule();
  }

  /** The socket closed: what was sent on it will never be answered. The lease itself runs on. */
  disconnected(): void {
    this.sentAt.clear();
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.deadline = null;
    this.sentAt.clear();
  }

  private schedule(): void {
    this.clock.clearTimeout(this.timer);
    if (this.deadline === null) return;
    this.timer = this.clock.setTimeout(() => this.check(), Math.max(0, this.deadline - this.clock.now()));
  }

  private check(): void {
    this.timer = undefined;
    if (this.deadline === null) return;
    // Timers may fire a little early against the monotonic clock; wait for the real deadline.
    if (this.clock.now() < this.deadline) return this.schedule();
    this.deadline = null;
    this.sentAt.clear();
    this.expired();
  }
}
