// Small value types and their parsers: durations, labels, ids, names.
import { z } from "zod";

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "200ms", "5s", "10m", "1h", "2d" (or a compound such as "1h30m") into milliseconds. */
export function parseDuration(text: string): number {
  const src = text.trim();
  if (src === "") throw new Error("empty duration");
  let total = 0;
  let rest = src;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/.exec(rest);
    if (!m) throw new Error(`invalid duration "${text}" (use e.g. 500ms, 30s, 10m, 1h, 2d)`);
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  if (!Number.isFinite(total)) throw new Error(`invalid duration "${text}"`);
  return Math.round(total);
}
export const isDuration = (s: string) => DURATION_RE.test(s) || /^(\d+(?:\.\d+)?(ms|s|m|h|d))+$/.test(s);

/** Formats milliseconds for people: 850ms, 12s, 4m10s, 3h2m, 2d4h. */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
}

export const LabelKey = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/, "label keys are letters, digits and . _ / -");
export const LabelValue = z
  .string()
  .max(63)
  .regex(/^([A-Za-z0-9]([A-Za-z0-9._/:-]*[A-Za-z0-9])?)?$/, "label values are letters, digits and . _ / : -");
export const Labels = z.record(LabelKey, LabelValue).refine((r) => Object.keys(r).length <= 64, "at most 64 labels");
export type Labels = z.infer<typeof Labels>;

/** Parses `k=v` into a pair, validating both halves. */
export function parseLabel(text: string): [string, string] {
  const i = text.indexOf("=");
  if (i <= 0) throw new Error(`invalid label "${text}" (expected key=value)`);
  const key = text.slice(0, i);
  const value = text.slice(i + 1);
  const k = LabelKey.safeParse(key);
  if (!k.success) throw new Error(`invalid label key "${key}": ${k.error.issues[0]?.message}`);
  const v = LabelValue.safeParse(value);
  if (!v.success) throw new Error(`invalid label value "${value}": ${v.error.issues[0]?.message}`);
  return [key, value];
}

/** A label to look for in task selectors: `k=v` (that exact term) or a bare `k` (any term that needs label k). */
export interface LabelFilter {
  key: string;
  value: string | null;
}

/** Parses `k=v` or `k`, validating both halves. */
export function parseLabelFilter(text: string): LabelFilter {
  if (text.includes("=")) {
    const [key, value] = parseLabel(text);
    return { key, value };
  }
  const k = LabelKey.safeParse(text);
  if (!k.success) throw new Error(`invalid label key "${text}": ${k.error.issues[0]?.message} (expected key or key=value)`);
  return { key: text, value: null };
}

export function parseLabels(items: readonly string[]): Labels {
  const out: Labels = {};
  for (const item of items) {
    const [k, v] = parseLabel(item);
    out[k] = v;
  }
  return out;
}

export const NodeName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, "node names are letters, digits and . _ -");

export const AgentName = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z][a-z0-9_-]*$/, "agent names are lower-case letters, digits, _ and -");

/** The agents whose machine-readable output nodes parse into messages, tool calls, results and cost. */
export const AGENT_PRESETS = ["claude", "codex", "opencode", "pi"] as const;

/**
 * When each preset reports what it spent: as it goes (so a cost limit can stop it mid-run), only in its last line,
 * or never (tokens without a price).
 */
export const AGENT_COST_REPORTING: Record<(typeof AGENT_PRESETS)[number], "running" | "final" | "none"> = {
  claude: "final",
  codex: "none",
  opencode: "running",
  pi: "running",
};

export const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, "invalid id");
/** The largest value a Postgres `integer` column holds: counters stored as int4 (seq, token, exit code) stop here. */
export const INT4_MAX = 2_147_483_647;
export const INT4_MIN = -2_147_483_648;
/** An integer that fits an int4 column. */
export const Int4 = z.number().int().min(INT4_MIN).max(INT4_MAX);
/** 9999-12-31T23:59:59.999Z: the last instant every database and `Date` both represent. */
export const EPOCH_MS_MAX = 253_402_300_799_999;
/** Milliseconds since the Unix epoch. */
export const EpochMs = z.number().int().nonnegative().max(EPOCH_MS_MAX);
export const Iso = z.string();
