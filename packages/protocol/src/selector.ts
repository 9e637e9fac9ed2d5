// Label selectors over node labels: `k=v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`.
import { z } from "zod";
import { LabelKey, LabelValue, type Labels } from "./values.js";

export const SelectorOp = z.enum(["eq", "ne", "in", "notin", "exists", "absent"]);
export type SelectorOp = z.infer<typeof SelectorOp>;

export const Requirement = z.object({
  key: LabelKey,
  op: SelectorOp,
  values: z.array(LabelValue),
});
export type Requirement = z.infer<typeof Requirement>;

export class SelectorError extends Error {
  override name = "SelectorError";
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(src: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of src) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (depth < 0) throw new SelectorError(`unbalanced ")" in selector "${src}"`);
    if (ch === "," && depth === 0) {
      terms.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (depth !== 0) throw new SelectorError(`unbalanced "(" in selector "${src}"`);
  terms.push(cur);
  return terms.map((t) => t.trim());
}

function checkKey(key: string, term: string): string {
  if (!LabelKey.safeParse(key).success) throw new SelectorError(`invalid label key "${key}" in "${term}"`);
  return key;
}
function checkValue(value: string, term: string): string {
  if (!LabelValue.safeParse(value).success) throw new SelectorError(`invalid label value "${value}" in "${term}"`);
  return value;
}

function parseTerm(term: string): Requirement {
  let m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(term);
  if (m) {
    const values = m[3]!.split(",").map((v) => v.trim());
    if (values.length === 0 || values.some((v) => v === ""))
      throw new SelectorError(`empty value in set "${term}"`);
    return { key: checkKey(m[1]!, term), op: m[2] as "in" | "notin", values: values.map((v) => checkValue(v, term)) };
  }
  m = /^([^!=\s]+)\s*(!=|==|=)\s*(\S*)$/.exec(term);
  if (m) {
    return { key: checkKey(m[1]!, term), op: m[2] === "!=" ? "ne" : "eq", values: [checkValue(m[3]!, term)] };
  }
  m = /^!\s*(\S+)$/.exec(term);
  if (m) return { key: checkKey(m[1]!, term), op: "absent", values: [] };
  if (/^\S+$/.test(term)) return { key: checkKey(term, term), op: "exists", values: [] };
  throw new SelectorError(`cannot parse selector term "${term}"`);
}

/** Parses a selector expression; the empty string selects every node. */
export function parseSelector(src: string): Requirement[] {
  if (src.trim() === "") return [];
  return splitTerms(src).map((t) => {
    if (t === "") throw new SelectorError(`empty term in selector "${src}"`);
    return parseTerm(t);
  });
}

export function formatSelector(reqs: readonly Requirement[]): string {
  return reqs
    .map((r) => {
      switch (r.op) {
        case "eq":
          return `${r.key}=${r.values[0] ?? ""}`;
        case "ne":
          return `${r.key}!=${r.values[0] ?? ""}`;
        case "in":
        case "notin":
          return `${r.key} ${r.op} (${r.values.join(",")})`;
        case "exists":
          return r.key;
        case "absent":
          return `!${r.key}`;
      }
    })
    .join(",");
}

export function requirementMatches(r: Requirement, labels: Labels): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key] : undefined;
  switch (r.op) {
    case "eq":
      return has && v === r.values[0];
    case "ne":
      return !has || v !== r.values[0];
    case "in":
      return has && r.values.includes(v!);
    case "notin":
      return !has || !r.values.includes(v!);
    case "exists":
      return has;
    case "absent":
      return !has;
  }
}

export function selectorMatches(reqs: readonly Requirement[], labels: Labels): boolean {
  return reqs.every((r) => requirementMatches(r, labels));
}

/** Builds the selector text for `--label k=v` shorthands and an optional `--selector` expression. */
export function combineSelector(labels: Labels, selector?: string): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  if (selector && selector.trim() !== "") parts.push(selector.trim());
  return parts.join(",");
}
