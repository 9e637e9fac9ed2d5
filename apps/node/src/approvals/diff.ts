// The change an edit tool call would make, as a unified diff a person can read before allowing it. Built from the
// file as it is now (read inside the worker's sandbox) and the call's input, the way Claude Code applies it.
import { createPatch } from "diff";
import { MAX_TOOL_DIFF_BYTES } from "@muster/protocol";

/** The tools whose calls change a file and so get a diff. */
export const EDIT_TOOLS = ["Edit", "MultiEdit", "Write"] as const;

interface Replacement {
  old_string: string;
  new_string: string;
  replace_all?: boolean;
}

/** Reads a file's text; null when it does not exist (a Write that creates it). */
export type ReadText = (path: string) => Promise<string | null>;

const isReplacement = (e: unknown): e is Replacement =>
  e !== null && typeof e === "object" && typeof (e as Replacement).old_string === "string" && typeof (e as Replacement).new_string === "string";

/** Applies Claude Code's Edit semantics; a replacement whose old text is absent leaves the text as it was. */
export function applyReplacements(text: string, edits: readonly Replacement[]): string {
  let out = text;
  for (const { old_string, new_string, replace_all } of edits) {
    if (old_string === "") {
      out = out === "" ? new_string : out;
      continue;
    }
    out = replace_all ? out.split(old_string).join(new_string) : out.replace(old_string, () => new_string);
  }
  return out;
}

/** Cuts a diff to MAX_TOOL_DIFF_BYTES at a line end and says how much was left out. */
export function capDiff(diff: string, max = MAX_TOOL_DIFF_BYTES): string {
  if (Buffer.byteLength(diff) <= max) return diff;
  const cut = Buffer.from(diff).subarray(0, max).toString("utf8");
  const kept = cut.slice(0, Math.max(0, cut.lastIndexOf("\n") + 1));
  return `${kept}... diff cut: ${Buffer.byteLength(diff) - Buffer.byteLength(kept)} more bytes\n`;
}

/** The unified diff of an Edit, MultiEdit or Write call; null for other tools or an input that is not one. */
export async function editDiff(tool: string, input: Record<string, unknown>, read: ReadText): Promise<string | null> {
  const path = input.file_path;
  if (typeof path !== "string" || !(EDIT_TOOLS as readonly string[]).includes(tool)) return null;
  let edits: Replacement[];
  if (tool === "Write") {
    if (typeof input.content !== "string") return null;
    const before = (await read(path)) ?? "";
    return capDiff(createPatch(path, before, input.content));
  }
  if (tool === "Edit") {
    if (!isReplacement(input)) return null;
    edits = [input];
  } else {
    if (!Array.isArray(input.edits) || !input.edits.every(isReplacement)) return null;
    edits = input.edits;
  }
  const before = (await read(path)) ?? "";
  return capDiff(createPatch(path, before, applyReplacements(before, edits)));
}
