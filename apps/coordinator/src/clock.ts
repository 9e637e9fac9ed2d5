// Time as a dependency, so tests can move it.
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };
