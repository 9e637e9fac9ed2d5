import { describe, expect, it } from "vitest";
import { buildPrompt, CONSTITUTION, PROMPT_CAPS, type PromptInput } from "./prompt.js";

const input: PromptInput = {
  playbook: "Fix CI before features.",
  goals: [{ id: "ci-green", text: "main is green" }],
  readings: [
    { sensor: "ci", ok: true, signal: { red: 2 }, detail: "job build failed", error: null, ageMs: 5000, flapping: false },
    { sensor: "issues", ok: false, signal: undefined, detail: undefined, error: "not JSON", ageMs: 1000, flapping: false },
  ],
  asks: [],
  workers: [{ id: "fixer", taskId: "tsk_1", state: "succeeded", waiting: false, stuck: false, result: { fixed: true }, message: null }],
  journal: [{ at: "2026-01-01T00:00:00.000Z", kind: "move", text: "started fixer" }],
  changed: ["sensor ci"],
  lastFailure: null,
  now: new Date("2026-01-01T00:01:00Z"),
};

describe("decide prompt", () => {
  it("puts the stable parts first and the time last", () => {
    const p = buildPrompt(input);
    const order = ["# Constitution", "# Instructions", "# PLAYBOOK", "# Goals", "# Sensor readings", "# Workers", "# What changed", "# Time"];
    const at = order.map((h) => p.indexOf(h));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(p.startsWith(`# Constitution\n${CONSTITUTION}`)).toBe(true);
  });

  it("shows readings, failed readings, workers' results and what changed", () => {
    const p = buildPrompt(input);
    expect(p).toContain('- ci (5s ago): signal {"red":2}');
    expect(p).toContain("- issues: FAILED 1s ago: not JSON");
    expect(p).toContain('- fixer (task tsk_1): succeeded; result {"fixed":true}');
    expect(p).toContain("- sensor ci");
  });

  it("marks a flapping sensor and a worker waiting on a person", () => {
    const p = buildPrompt({
      ...input,
      readings: [{ ...input.readings[0]!, flapping: true }],
      workers: [{ ...input.workers[0]!, state: "running", waiting: true }],
    });
    expect(p).toContain("FLAPPING");
    expect(p).toContain("WAITING ON A PERSON");
  });

  it("caps a huge PLAYBOOK and a noisy sensor", () => {
    const p = buildPrompt({
      ...input,
      playbook: "p".repeat(PROMPT_CAPS.playbook + 500),
      readings: [{ ...input.readings[0]!, detail: "d".repeat(10_000) }],
    });
    expect(p).toContain("[... 500 more characters cut]");
    expect(p.length).toBeLessThan(PROMPT_CAPS.playbook + 10_000);
  });
});
