import { parseMove, type PulseMove } from "@muster/protocol";
import { describe, expect, it } from "vitest";
import { DEFAULT_PULSE_GATES } from "../config.js";
import { compileGates, gateReason } from "./gates.js";

const gates = compileGates(DEFAULT_PULSE_GATES);
const move = (v: unknown): PulseMove => {
  const parsed = parseMove(v);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.move;
};

describe("pulse gates", () => {
  it("holds force pushes, deploys, deletions and merges", () => {
    for (const command of [["git", "push", "--force"], ["git", "push", "-f", "origin"], ["./deploy.sh"], ["rm", "-rf", "x"], ["gh", "pr", "merge", "1"]])
      expect(gateReason(move({ move: "run_command", command, journal: "j" }), gates)).toMatch(/gate pattern/);
  });

  it("lets ordinary commands and workers through", () => {
    expect(gateReason(move({ move: "run_command", command: ["make", "report"], journal: "j" }), gates)).toBeNull();
    expect(gateReason(move({ move: "start_worker", id: "w", agent: "exec", command: ["npm", "test"], journal: "j" }), gates)).toBeNull();
    expect(gateReason(move({ move: "noop", journal: "j" }), gates)).toBeNull();
  });

  it("holds a worker whose command or verify matches, and any move marked irreversible", () => {
    expect(gateReason(move({ move: "start_worker", id: "w", agent: "exec", command: ["sh", "-c", "git push --force"], journal: "j" }), gates)).not.toBeNull();
    expect(gateReason(move({ move: "write_goal", id: "g", text: "t", journal: "j", irreversible: true }), gates)).toMatch(/irreversible/);
  });
});
