import { describe, expect, it } from "vitest";
import { AskRecord, CreateTaskRequest, LocalRequest, summarizeToolInput } from "./index.js";

const claude = { agent: "claude", prompt: "fix the bug" };

describe("approveTools on a task", () => {
  it("takes all or a list of tool names for agent claude", () => {
    expect(CreateTaskRequest.parse({ ...claude, approveTools: "all" }).approveTools).toBe("all");
    expect(CreateTaskRequest.parse({ ...claude, approveTools: ["Bash", "Write"] }).approveTools).toEqual(["Bash", "Write"]);
  });

  it("is refused for another agent, naming the agent", () => {
    const res = CreateTaskRequest.safeParse({ agent: "codex", prompt: "x", approveTools: "all" });
    expect(res.success).toBe(false);
    expect(res.error?.issues[0]).toMatchObject({ path: ["approveTools"], message: expect.stringContaining("not codex") });
  });

  it("refuses tool names that are not names, an empty list and a timeout without tools", () => {
    expect(CreateTaskRequest.safeParse({ ...claude, approveTools: ["rm -rf"] }).success).toBe(false);
    expect(CreateTaskRequest.safeParse({ ...claude, approveTools: [] }).success).toBe(false);
    expect(CreateTaskRequest.safeParse({ ...claude, approveToolsTimeoutMs: 1000 }).success).toBe(false);
  });
});

describe("tool asks on the wire", () => {
  it("keep an ask record without a tool valid, and carry one with it", () => {
    const base = { seq: 1, ts: 1, kind: "ask", askId: "ask_1", question: "ok?", options: [], gate: null };
    expect(AskRecord.parse(base)).not.toHaveProperty("tool");
    const tool = AskRecord.parse({ ...base, tool: { name: "Bash", input: { command: "ls" } }, expiresAt: 5 });
    expect(tool.tool).toEqual({ name: "Bash", input: { command: "ls" }, diff: null });
  });

  it("lets a local ask carry a tool and a timeout", () => {
    const req = LocalRequest.parse({ op: "ask", secret: "s", question: "Allow Bash?", tool: { name: "Bash", input: {} }, timeoutMs: 60_000 });
    expect(req).toMatchObject({ op: "ask", timeoutMs: 60_000, tool: { name: "Bash" } });
  });
});

describe("summarizeToolInput", () => {
  it("says the command of a Bash call and the file of an edit on one line", () => {
    expect(summarizeToolInput("Bash", { command: "npm test\n  && echo ok" })).toBe("npm test && echo ok");
    expect(summarizeToolInput("Write", { file_path: "src/a.ts", content: "x" })).toBe("src/a.ts");
  });

  it("falls back to the input as JSON, cut to the length asked for", () => {
    expect(summarizeToolInput("Custom", { a: 1 })).toBe('{"a":1}');
    expect(summarizeToolInput("Custom", { a: "x".repeat(50) }, 10)).toBe('{"a":"xxx…');
  });
});
