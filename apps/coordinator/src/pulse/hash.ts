// Whether the world changed since the last decision: a hash over canonical JSON of what the decider cares about.
import { createHash } from "node:crypto";

/** JSON with object keys sorted at every depth, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? "null";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
}

/** What counts as a change in a reading: its `signal`, or the whole reading when it has none (`detail` never does). */
export function signalOf(reading: Record<string, unknown>): unknown {
  return "signal" in reading ? reading.signal : reading;
}

export interface World {
  playbook: string;
  goals: readonly { id: string; text: string }[];
  /** Each sensor's last good signal, by sensor name. */
  signals: Readonly<Record<string, unknown>>;
  /** Each worker's id and whether (and how) it finished: a worker that ends is news to the decider. */
  workers: Readonly<Record<string, string>>;
}

export function worldHash(world: World): string {
  const goals = [...world.goals].sort((a, b) => a.id.localeCompare(b.id));
  return createHash("sha256").update(canonicalJson({ ...world, goals })).digest("hex");
}

/** Names of the sensors whose signal differs between two snapshots (added and removed ones too). */
export function changedSignals(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((n) => canonicalJson(before[n]) !== canonicalJson(after[n])).sort();
}
