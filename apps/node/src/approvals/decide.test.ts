import { describe, expect, it } from "vitest";
import { ToolApprovals, ToolAskError, shortenInput, type ToolAnswerReply, type ToolQuestion } from "./decide.js";

function approvals(approveTools: "all" | string[], replies: Array<ToolAnswerReply | ToolAskError>) {
  const asked: ToolQuestion[] = [];
  const a = new ToolApprovals({
    approveTools,
    timeoutMs: 30 * 60_000,
    readText: async () => "old\n",
    ask: async (q) => {
      asked.push(q);
      const next = replies.shift();
      if (!next) throw new Error("no reply left");
      if (next instanceof Error) throw next;
      return next;
    },
  });
  return { a, asked };
}

const bash = { tool_name: "Bash", input: { command: "npm test" } };
const by = (answer: string, reason?: string): ToolAnswerReply => ({ answer, answeredBy: "ana", ...(reason ? { reason } : {}) });

describe("tool approvals", () => {
  it("allows a tool that is not listed without asking, with its input unchanged", async () => {
    const { a, asked } = approvals(["Write"], []);
    await expect(a.decide(bash)).resolves.toEqual({ behavior: "allow", updatedInput: { command: "npm test" } });
    expect(asked).toEqual([]);
  });

  it("asks about a listed tool with its summary, options and time limit, and allows on allow", async () => {
    const { a, asked } = approvals(["Bash"], [by("allow")]);
    await expect(a.decide(bash)).resolves.toEqual({ behavior: "allow", updatedInput: { command: "npm test" } });
    expect(asked).toEqual([
      {
        question: "Allow Bash: npm test",
        options: ["allow", "deny", "allow-for-task"],
        tool: { name: "Bash", input: { command: "npm test" }, diff: null },
        timeoutMs: 1_800_000,
      },
    ]);
  });

  it("puts an edit's diff in the ask", async () => {
    const { a, asked } = approvals("all", [by("allow")]);
    await a.decide({ tool_name: "Write", input: { file_path: "/w/a.txt", content: "new\n" } });
    expect(asked[0]?.tool.diff).toContain("-old\n+new\n");
  });

  it("denies with the answerer's reason, which the agent reads", async () => {
    const { a } = approvals("all", [by("deny", "no network calls")]);
    await expect(a.decide(bash)).resolves.toEqual({ behavior: "deny", message: "ana denied this Bash call: no network calls" });
  });

  it("stops asking about a tool once it is allowed for the task, and only that tool", async () => {
    const { a, asked } = approvals("all", [by("allow-for-task"), by("deny")]);
    await a.decide(bash);
    await expect(a.decide({ tool_name: "Bash", input: { command: "ls" } })).resolves.toMatchObject({ behavior: "allow" });
    expect(asked).toHaveLength(1);
    await expect(a.decide({ tool_name: "Write", input: { file_path: "/x", content: "" } })).resolves.toMatchObject({ behavior: "deny" });
    expect(asked).toHaveLength(2);
  });

  it("denies when nobody answers in time, and when the ask cannot be made", async () => {
    const { a } = approvals("all", [new ToolAskError("ask_expired", "expired"), new ToolAskError("claim_ended", "claim clm_1 has ended")]);
    await expect(a.decide(bash)).resolves.toEqual({ behavior: "deny", message: "Nobody answered the approval for this Bash call within 30 min, so it is denied." });
    await expect(a.decide(bash)).resolves.toMatchObject({ behavior: "deny", message: expect.stringContaining("claim clm_1 has ended") });
  });

  it("shortens long strings of the input shown to a person", () => {
    expect(shortenInput({ content: "x".repeat(10), n: 1 }, 4)).toEqual({ content: "xxxx… (6 more characters)", n: 1 });
  });
});
