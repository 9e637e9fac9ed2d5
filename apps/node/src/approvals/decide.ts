// What the permission prompt tool answers Claude Code for one tool call: unlisted tools and tools a person allowed
// for the task run at once; any other call becomes an ask (tool, input, diff) and the answer decides it.
import {
  TOOL_ANSWERS,
  summarizeToolInput,
  type ApproveTools,
  type PermissionDecision,
  type PermissionRequest,
  type ToolAsk,
} from "@muster/protocol";
import { editDiff, type ReadText } from "./diff.js";

/** The ask a tool call becomes, as the node's local endpoint takes it. */
export interface ToolQuestion {
  question: string;
  options: string[];
  tool: ToolAsk;
  timeoutMs: number;
}

export interface ToolAnswerReply {
  answer: string;
  answeredBy: string;
  reason?: string | undefined;
}

/** Asking failed; `code` is the local endpoint's error code (`ask_expired` when nobody answered in time). */
export class ToolAskError extends Error {
  override readonly name = "ToolAskError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ToolApprovalsOptions {
  approveTools: ApproveTools;
  timeoutMs: number;
  ask(question: ToolQuestion): Promise<ToolAnswerReply>;
  readText: ReadText;
}

/** Strings in an ask's input longer than this are shortened; the tool still gets the whole input. */
export const MAX_INPUT_STRING = 2000;

/** The input as a person sees it in the ask: long strings (a Write's content) cut with a note. */
export function shortenInput(value: unknown, max = MAX_INPUT_STRING): unknown {
  if (typeof value === "string")
    return value.length > max ? `${value.slice(0, max)}… (${value.length - max} more characters)` : value;
  if (Array.isArray(value)) return value.map((v) => shortenInput(v, max));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shortenInput(v, max)]));
  return value;
}

const minutes = (ms: number) => (ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);

export class ToolApprovals {
  /** Tools a person answered `allow-for-task` for: later calls in this claim are not asked about. */
  private readonly allowedForTask = new Set<string>();

  constructor(private readonly opts: ToolApprovalsOptions) {}

  needsApproval(tool: string): boolean {
    if (this.allowedForTask.has(tool)) return false;
    const { approveTools } = this.opts;
    return approveTools === "all" || approveTools.includes(tool);
  }

  async decide({ tool_name: name, input }: PermissionRequest): Promise<PermissionDecision> {
    const allow: PermissionDecision = { behavior: "allow", updatedInput: input };
    if (!this.needsApproval(name)) return allow;
    const diff = await editDiff(name, input, this.opts.readText).catch(() => null);
    let reply: ToolAnswerReply;
    try {
      reply = await this.opts.ask({
        question: `Allow ${name}: ${summarizeToolInput(name, input)}`,
        options: [...TOOL_ANSWERS],
        tool: { name, input: shortenInput(input), diff },
        timeoutMs: this.opts.timeoutMs,
      });
    } catch (err) {
      if (err instanceof ToolAskError && err.code === "ask_expired")
        return { behavior: "deny", message: `Nobody answered the approval for this ${name} call within ${minutes(this.opts.timeoutMs)}, so it is denied.` };
      return { behavior: "deny", message: `The approval for this ${name} call could not be asked (${(err as Error).message}), so it is denied.` };
    }
    if (reply.answer === "allow") return allow;
    if (reply.answer === "allow-for-task") {
      this.allowedForTask.add(name);
      return allow;
    }
    const why = reply.reason ? `: ${reply.reason}` : ".";
    if (reply.answer === "deny") return { behavior: "deny", message: `${reply.answeredBy} denied this ${name} call${why}` };
    return { behavior: "deny", message: `This ${name} call was answered "${reply.answer}" by ${reply.answeredBy}, which is not an allow${why}` };
  }
}
