// Coalesces bursts of triggers into one call: it waits for a quiet moment, but never longer than `maxWaitMs`
// after the first trigger, so a steady stream of events still reloads a page.

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface Coalescer {
  trigger(): void;
  cancel(): void;
}

export function coalesce(fn: () => void, quietMs: number, maxWaitMs: number, timers: Timers = realTimers): Coalescer {
  let handle: unknown;
  let firstAt: number | null = null;
  const fire = () => {
    handle = undefined;
    firstAt = null;
    fn();
  };
  return {
    trigger() {
      const now = timers.now();
      firstAt ??= now;
      if (handle !== undefined) timers.clearTimeout(handle);
      handle = timers.setTimeout(fire, Math.max(0, Math.min(quietMs, firstAt + maxWaitMs - now)));
    },
    cancel() {
      if (handle !== undefined) timers.clearTimeout(handle);
      handle = undefined;
      firstAt = null;
    },
  };
}
