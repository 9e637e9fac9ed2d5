import { describe, expect, it } from "vitest";
import { TaskListQuery } from "./http.js";

describe("TaskListQuery", () => {
  it("takes the filters as query strings", () => {
    const q = TaskListQuery.parse({ state: "running", agent: "claude", node: "build-2", label: "gpu=true", limit: "5" });
    expect(q).toEqual({ state: "running", agent: "claude", node: "build-2", label: "gpu=true", limit: 5 });
    expect(TaskListQuery.parse({ node: "nod_01JB7Y", label: "zone" })).toMatchObject({ node: "nod_01JB7Y", label: "zone" });
  });
  it.each([
    [{ agent: "Not An Agent" }, /^agent/],
    [{ node: "a b" }, /^node: must be a node id or name/],
    [{ label: "k in (a,b)" }, /^label: invalid label key "k in \(a,b\)"/],
    [{ label: "gpu=tr ue" }, /^label: invalid label value "tr ue"/],
    [{ label: "=true" }, /^label: invalid label "=true"/],
  ])("refuses %j with a clear message", (query, message) => {
    const res = TaskListQuery.safeParse(query);
    expect(res.success).toBe(false);
    const issue = res.error!.issues[0]!;
    expect(`${issue.path.join(".")}: ${issue.message}`).toMatch(message);
  });
});
