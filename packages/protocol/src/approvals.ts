// Tool-by-tool approvals for Claude Code workers: which tools a task wants a person to approve, the ask such a
// call becomes, and the answer Claude Code's permission prompt tool returns.
import { z } from "zod";

/** A Claude Code tool name: `Bash`, `Write`, `mcp__github__create_issue`. */
export const ToolName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "a tool name is letters, digits, _ and -, starting with a letter");
export type ToolName = z.infer<typeof ToolName>;

/** `all`, or the tools whose every call needs a person's yes; other tools run without asking. */
export const ApproveTools = z.union([z.literal("all"), z.array(ToolName).min(1).max(64)]);
export type ApproveTools = z.infer<typeof ApproveTools>;

export const DEFAULT_APPROVAL_TIMEOUT_MS = 30 * 60 * 1000;
export const MAX_APPROVAL_TIMEOUT_MS = 7 * 86_400_000;
/** The longest diff an ask carries; a longer one is cut with a note. */
export const MAX_TOOL_DIFF_BYTES = 64 * 1024;

/** The answers a tool ask allows. `allow-for-task`: later calls of the same tool in this claim run without asking. */
export const ToolAnswer = z.enum(["allow", "deny", "allow-for-task"]);
export type ToolAnswer = z.infer<typeof ToolAnswer>;
export const TOOL_ANSWERS: readonly ToolAnswer[] = ToolAnswer.options;

/** What a tool ask shows a person: the tool, its input (long strings shortened) and, for edits, a unified diff. */
export const ToolAsk = z.object({
  name: ToolName,
  input: z.unknown(),
  diff: z.string().max(MAX_TOOL_DIFF_BYTES + 200).nullable().default(null),
});
export type ToolAsk = z.infer<typeof ToolAsk>;

/** The MCP server a claim's Claude Code starts, and its one tool; `--permission-prompt-tool` names it `mcp__<server>__<tool>`. */
export const APPROVAL_MCP_SERVER = "muster";
export const APPROVAL_MCP_TOOL = "approve";
export const APPROVAL_PERMISSION_TOOL = `mcp__${APPROVAL_MCP_SERVER}__${APPROVAL_MCP_TOOL}`;

/** What Claude Code sends the permission prompt tool. */
export const PermissionRequest = z.object({
  tool_name: z.string().min(1).max(256),
  input: z.record(z.string(), z.unknown()).default({}),
  tool_use_id: z.string().max(256).optional(),
});
export type PermissionRequest = z.infer<typeof PermissionRequest>;

/** What the permission prompt tool returns to Claude Code, as the JSON text of its result. */
export const PermissionDecision = z.discriminatedUnion("behavior", [
  z.object({ behavior: z.literal("allow"), updatedInput: z.record(z.string(), z.unknown()) }),
  z.object({ behavior: z.literal("deny"), message: z.string() }),
]);
export type PermissionDecision = z.infer<typeof PermissionDecision>;

const oneLine = (text: string, max: number): string => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** One line saying what a tool call does: a Bash command, the file an edit touches, else its input as JSON. */
export function summarizeToolInput(name: string, input: unknown, max = 160): string {
  const fields = input !== null && typeof input === "object" ? (input as Record<string, unknown>) : {};
  const pick = (key: string) => (typeof fields[key] === "string" ? (fields[key] as string) : null);
  const text = (name === "Bash" ? pick("command") : null) ?? pick("file_path") ?? pick("notebook_path") ?? pick("path") ?? pick("url") ?? pick("pattern");
  if (text !== null) return oneLine(text, max);
  let json: string;
  try {
    json = JSON.stringify(input) ?? "";
  } catch {
    json = String(input);
  }
  return oneLine(json, max);
}
