// Limits on what one client can make the coordinator do: failed attempts to authenticate or join per address,
// live streams per token, frames waiting per node. Configured once (config.ts); tests set them low.
import type { Clock } from "../clock.js";
import { MusterError } from "../errors.js";
import { StreamQuota } from "../http/streams.js";

export interface FailureLimit {
  /** Failures an address may have in one window before every attempt from it waits for the window to end. */
  max: number;
  windowMs: number;
}

/** Addresses tracked before windows that have ended are swept out. */
const SWEEP_AT = 10_000;

/**
 * Counts failures per client address in fixed windows on an injected clock. Past the limit the address is refused
 * outright, valid credentials included, so it learns nothing more until the window ends.
 */
export class FailureLimiter {
  readonly #windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly limit: FailureLimit,
    private readonly clock: Clock,
  ) {}

  /** How long `address` must wait before its next attempt; 0 when it may try now. */
  retryAfterMs(address: string): number {
    const w = this.#windows.get(address);
    if (!w) return 0;
    const left = w.start + this.limit.windowMs - this.clock.now();
    if (left <= 0) {
      this.#windows.delete(address);
      return 0;
    }
    return w.failures >= this.limit.max ? left : 0;
  }

  /** Throws `RateLimited` when `address` must wait. */
  check(address: string): void {
    const ms = this.retryAfterMs(address);
    if (ms > 0) throw new RateLimited(ms);
  }

  fail(address: string): void {
    const now = this.clock.now();
    let w = this.#windows.get(address);
    if (!w || now >= w.start + this.limit.windowMs) {
      w = { start: now, failures: 0 };
      this.#windows.set(address, w);
    }
    w.failures += 1;
    if (this.#windows.size > SWEEP_AT) this.#sweep(now);
  }

  #sweep(now: number): void {
    for (const [address, w] of this.#windows) if (now >= w.start + this.limit.windowMs) this.#windows.delete(address);
  }
}

export class RateLimited extends MusterError {
  override name = "RateLimited";
  /** Whole seconds, for the Retry-After header. */
  readonly retryAfterS: number;
  constructor(retryAfterMs: number) {
    const s = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super("rate_limited", `too many failed attempts from this address; try again in ${s}s`);
    this.retryAfterS = s;
  }
}

export interface LimitSettings {
  authFailureLimit: number;
  joinFailureLimit: number;
  failureWindowMs: number;
  streamsPerToken: number;
  nodeFrameQueue: number;
}

export interface Limits {
  /** Bad bearer tokens, bad session sign-ins and bad node tokens on the websocket upgrade. */
  auth: FailureLimiter;
  /** Joins refused for their join key. */
  join: FailureLimiter;
  streams: StreamQuota;
  nodeFrameQueue: number;
}

export function createLimits(settings: LimitSettings, clock: Clock): Limits {
  return {
    auth: new FailureLimiter({ max: settings.authFailureLimit, windowMs: settings.failureWindowMs }, clock),
    join: new FailureLimiter({ max: settings.joinFailureLimit, windowMs: settings.failureWindowMs }, clock),
    streams: new StreamQuota(settings.streamsPerToken),
    nodeFrameQueue: settings.nodeFrameQueue,
  };
}

/** The defaults config.ts applies, for components built outside `startCoordinator` (in-process tests). */
export const DEFAULT_LIMITS: LimitSettings = {
  authFailureLimit: 30,
  joinFailureLimit: 10,
  failureWindowMs: 60_000,
  streamsPerToken: 32,
  nodeFrameQueue: 256,
};
