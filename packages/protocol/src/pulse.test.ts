import { describe, expect, it } from "vitest";
import { clampIntervalS, GoalId, parseMove, PlaybookText, workerTaskRequest } from "./pulse.js";

describe("parseMove", () => {
  it("reads one move of each kind", () => {
    expect(parseMove({ move: "noop", journal: "quiet" })).toEqual({ ok: true, move: { move: "noop", journal: "quiet" } });
    const worker = parseMove({ move: "start_worker", id: "fix-ci", agent: "exec", command: ["make", "fix"], journal: "CI red" });
    expect(worker.ok).toBe(true);
    const sched = parseMove({ move: "write_schedule", name: "nightly", at: "2030-01-01T02:00:00Z", journal: "j" });
    expect(sched.ok).toBe(true);
  });

  it("refuses two moves, garbage, an unknown kind and a move without its journal", () => {
    expect(parseMove([{ move: "noop", journal: "a" }, { move: "noop", journal: "b" }])).toEqual({
      ok: false,
      error: "the decider wrote 2 moves; exactly one is allowed",
    });
    expect(parseMove("noop")).toMatchObject({ ok: false, error: "the decider's result is not a JSON object" });
    expect(parseMove({ move: "merge_everything", journal: "j" })).toMatchObject({ ok: false, error: expect.stringContaining("unknown move") });
    expect(parseMove({ move: "noop" })).toMatchObject({ ok: false, error: expect.stringContaining("journal") });
  });

  it("checks a worker's task like muster submit does", () => {
    const noArgv = parseMove({ move: "start_worker", id: "w", agent: "exec", journal: "j" });
    expect(noArgv).toMatchObject({ ok: false, error: expect.stringContaining("agent exec needs a non-empty argv") });
    const noPrompt = parseMove({ move: "start_worker", id: "w", agent: "claude", journal: "j" });
    expect(noPrompt).toMatchObject({ ok: false, error: expect.stringContaining("needs a prompt") });
    const parsed = parseMove({ move: "start_worker", id: "w", agent: "claude", prompt: "fix", selector: "gpu=true", journal: "j" });
    if (!parsed.ok || parsed.move.move !== "start_worker") throw new Error("expected a start_worker move");
    expect(workerTaskRequest(parsed.move)).toMatchObject({ success: true, data: { agent: "claude", prompt: "fix", selector: "gpu=true", name: "worker w" } });
  });

  it("needs exactly one of at and every_s for a schedule", () => {
    expect(parseMove({ move: "write_schedule", name: "s", journal: "j" }).ok).toBe(false);
    expect(parseMove({ move: "write_schedule", name: "s", at: "2030-01-01T00:00:00Z", every_s: 60, journal: "j" }).ok).toBe(false);
  });
});

describe("pulse names and limits", () => {
  it("refuses a goal id with a slash and a PLAYBOOK over the cap", () => {
    expect(GoalId.safeParse("ci/green").success).toBe(false);
    expect(GoalId.safeParse("ci-green").success).toBe(true);
    expect(PlaybookText.safeParse("x".repeat(64 * 1024 + 1)).success).toBe(false);
  });

  it("clamps the next interval to 5-300 s", () => {
    expect([clampIntervalS(1), clampIntervalS(60), clampIntervalS(9999)]).toEqual([5, 60, 300]);
  });
});
