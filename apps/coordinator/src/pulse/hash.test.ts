import { describe, expect, it } from "vitest";
import { canonicalJson, changedSignals, signalOf, worldHash, type World } from "./hash.js";

const world: World = {
  playbook: "ship small",
  goals: [
    { id: "b", text: "green CI" },
    { id: "a", text: "docs" },
  ],
  signals: { ci: { red: 1, jobs: ["x"] } },
  workers: { fixer: "running" },
};

describe("world hash", () => {
  it("does not depend on key or goal order", () => {
    const reordered: World = {
      workers: { fixer: "running" },
      signals: { ci: { jobs: ["x"], red: 1 } },
      goals: [...world.goals].reverse(),
      playbook: "ship small",
    };
    expect(worldHash(reordered)).toBe(worldHash(world));
    expect(canonicalJson({ b: 1, a: { d: 2, c: undefined } })).toBe('{"a":{"d":2},"b":1}');
  });

  it("changes with the PLAYBOOK, a goal, a signal or a worker's end", () => {
    const base = worldHash(world);
    expect(worldHash({ ...world, playbook: "ship big" })).not.toBe(base);
    expect(worldHash({ ...world, goals: [{ id: "a", text: "docs" }] })).not.toBe(base);
    expect(worldHash({ ...world, signals: { ci: { red: 2, jobs: ["x"] } } })).not.toBe(base);
    expect(worldHash({ ...world, workers: { fixer: "done:succeeded" } })).not.toBe(base);
  });

  it("takes a reading's signal, or the whole reading when it has none", () => {
    expect(signalOf({ signal: { red: 1 }, detail: "long log" })).toEqual({ red: 1 });
    expect(signalOf({ red: 1 })).toEqual({ red: 1 });
  });

  it("names the sensors whose signal changed, appeared or went away", () => {
    expect(changedSignals({ a: 1, b: { x: 1 }, c: 3 }, { a: 1, b: { x: 2 }, d: 4 })).toEqual(["b", "c", "d"]);
  });
});
