// Reading fields of agent JSON events, which are untyped and change between releases: every reader
// returns undefined (or an empty value) for a missing or mistyped field instead of throwing.
import type { ParsedRecord } from "./record.js";

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export const obj = (value: unknown): JsonObject | undefined => (isObject(value) ? value : undefined);
export const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
export const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** A finite number, or undefined. */
export function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** A count (token counts, turns, durations): a non-negative integer, or undefined. */
export function count(value: unknown): number | undefined {
  const n = num(value);
  return n !== undefined && n >= 0 ? Math.round(n) : undefined;
}

/**
 * The text of a content field that is either a string or an array of parts; only `{type:"text", text}`
 * parts carry text (images and other parts are left out), joined by newlines.
 */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  const texts: string[] = [];
  for (const part of arr(content)) {
    const p = obj(part);
    const text = str(p?.text);
    if (p?.type === "text" && text !== undefined) texts.push(text);
  }
  return texts.join("\n");
}

/** Sums cost and tokens; for formats that report each step's spend rather than a running total. */
export class CostTotals {
  private usd = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  private cacheReadTokens = 0;
  private cacheWriteTokens = 0;

  add(step: { usd: number; inputTokens?: number; outputTokens?: number; cacheReadTokens?: number; cacheWriteTokens?: number }): void {
    this.usd += step.usd;
    this.inputTokens += step.inputTokens ?? 0;
    this.outputTokens += step.outputTokens ?? 0;
    this.cacheReadTokens += step.cacheReadTokens ?? 0;
    this.cacheWriteTokens += step.cacheWriteTokens ?? 0;
  }

  /** The running totals as a cost record. */
  record(): ParsedRecord {
    return {
      kind: "cost",
      usd: roundUsd(this.usd),
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      cacheReadTokens: this.cacheReadTokens,
      cacheWriteTokens: this.cacheWriteTokens,
    };
  }
}

/** Sums of float prices pick up noise in the last bits (0.1 + 0.2); no agent reports below a pico-dollar. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e12) / 1e12;
}
