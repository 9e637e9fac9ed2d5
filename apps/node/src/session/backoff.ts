// Reconnect delays: exponential with full jitter, so a fleet that lost its coordinator does not return in step.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** In [0, 1); injected so tests can pin the jitter. */
  random: () => number;
}

export const DEFAULT_BACKOFF: Omit<BackoffOptions, "random"> = { baseMs: 500, maxMs: 30_000 };

/** Delay before retry number `attempt` (0-based): uniform in [0, min(max, base * 2^attempt)). */
export function backoffDelay(attempt: number, { baseMs, maxMs, random }: BackoffOptions): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

export class Backoff {
  private attempt = 0;

  constructor(private readonly opts: BackoffOptions) {}

  next(): number {
    const delay = backoffDelay(this.attempt, this.opts);
    this.attempt += 1;
    return delay;
  }

  /** After a session got as far as `welcome`. */
  reset(): void {
    this.attempt = 0;
  }
}
