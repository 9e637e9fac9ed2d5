import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { AgentCatalog } from "../agents/catalog.js";
import { AgentsConfig } from "../config.js";
import { makeUpstream, type UpstreamRepo } from "../workspace/repo.fake.js";
import { FakeAskChannel } from "./ask-channel.fake.js";
import { cid, offer, sh, supervisorHarness } from "./supervisor.harness.fake.js";

let dataDir: string;
let upstream: UpstreamRepo;
let agents: AgentCatalog;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "muster-gates-"));
  upstream = await makeUpstream();
  agents = await AgentCatalog.detect(AgentsConfig.parse({}), { pathEnv: "" });
});

async function firstAsk(asks: FakeAskChannel) {
  await expect.poll(() => asks.asked.length, { timeout: 10_000, interval: 10 }).toBe(1);
  return asks.asked[0]!;
}

describe("approval gates", () => {
  it("asks before verify with what the agent changed, and verifies once a person says yes", async () => {
    const asks = new FakeAskChannel();
    const { supervisor, ended, logText } = setup(asks);
    const task = { ...sh("echo 'a b' > notes.txt; echo tweak >> src/a.txt"), prompt: "Tidy   the\nnotes", repo: { url: upstream.dir, ref: null } };
    supervisor.offer(offer(1, { ...task, verify: "echo verified", approveBefore: "verify" }), { draining: false });
    const ask = await firstAsk(asks);
    expect(ask.claimId).toBe(cid(1));
    expect(ask.question).toMatchObject({ options: ["yes", "no"], gate: "verify" });
    const base = (await upstream.git("rev-parse", "HEAD")).slice(0, 12);
    expect(ask.question.question).toBe(
      [
        "Run the verify step of task tsk_1 (echo verified)?",
        "Prompt: Tidy the notes",
        `Branch muster/tsk_1 from ${base}: 2 files changed, +2 -0 (includes uncommitted changes)`,
        "",
        " notes.txt | 1 +",
        " src/a.txt | 1 +",
        " 2 files changed, 2 insertions(+)",
      ].join("\n"),
    );
    expect(logText(cid(1))).not.toContain("verified");
    ask.answer("yes", "alice");
    const done = await ended(cid(1));
    expect(done.outcome).toMatchObject({ status: "succeeded", verify: { passed: true } });
    expect(logText(cid(1))).toBe("verified\n");
  });

  it("fails the task as not_approved when the answer is not yes, and does not verify", async () => {
    const asks = new FakeAskChannel({ answer: "no, the tests are missing", answeredBy: "bob" });
    const { supervisor, ended, records } = setup(asks);
    supervisor.offer(offer(1, { ...sh("true"), verify: "echo verified", approveBefore: "verify" }), { draining: false });
    const done = await ended(cid(1));
    expect(done.outcome).toMatchObject({
      status: "failed",
      reason: "not_approved",
      message: "not approved by bob: no, the tests are missing",
      exitCode: 0,
      verify: null,
    });
    expect(records.get(cid(1))!.some((r) => r.kind === "progress")).toBe(false);
  });

  it("asks before done after verify passed, naming the command of a plain task", async () => {
    const asks = new FakeAskChannel({ answer: "yes", answeredBy: "carol" });
    const { supervisor, ended } = setup(asks);
    supervisor.offer(offer(1, { ...sh("echo hi"), verify: "true", approveBefore: "done" }), { draining: false });
    const done = await ended(cid(1));
    expect(done.outcome).toMatchObject({ status: "succeeded", verify: { passed: true } });
    expect(asks.asked[0]!.question.gate).toBe("done");
    expect(asks.asked[0]!.question.question).toMatch(/^Accept the result of task tsk_1\?\nCommand: sh -c echo hi\nVerify passed in \d+ms\.$/);
  });

  it("never asks when the agent failed or verify failed", async () => {
    const asks = new FakeAskChannel({ answer: "yes", answeredBy: "carol" });
    const { supervisor, ended } = setup(asks);
    supervisor.offer(offer(1, { ...sh("exit 1"), approveBefore: "done" }), { draining: false });
    supervisor.offer(offer(2, { ...sh("true"), verify: "false", approveBefore: "done" }), { draining: false });
    expect((await ended(cid(1))).outcome).toMatchObject({ reason: "exit_code" });
    expect((await ended(cid(2))).outcome).toMatchObject({ reason: "verify_failed" });
    expect(asks.asked).toEqual([]);
  });

  it("fails a gated task on a node that cannot ask", async () => {
    const { supervisor, ended } = setup();
    supervisor.offer(offer(1, { ...sh("true"), approveBefore: "done" }), { draining: false });
    expect((await ended(cid(1))).outcome).toMatchObject({ status: "failed", reason: "not_approved", message: "this node cannot ask for approval (gate done)" });
  });

  it("ends a claim waiting at a gate the way a stop ends it", async () => {
    const asks = new FakeAskChannel();
    const { supervisor, ended } = setup(asks);
    supervisor.offer(offer(1, { ...sh("true"), approveBefore: "done" }), { draining: false });
    await firstAsk(asks);
    await supervisor.stopAll("shutdown");
    expect((await ended(cid(1))).outcome).toMatchObject({ status: "failed", reason: "interrupted", exitCode: 0 });
  });

  it("ends a revoked claim waiting at a gate without a result, when the channel gives up on it", async () => {
    const asks = new FakeAskChannel();
    const { supervisor, exited } = setup(asks);
    supervisor.offer(offer(1, { ...sh("true"), approveBefore: "done" }), { draining: false });
    const ask = await firstAsk(asks);
    supervisor.revoke(cid(1));
    ask.refuse("the claim was revoked");
    await expect.poll(() => supervisor.isIdle(), { timeout: 5000, interval: 10 }).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(exited).toEqual([]);
  });

  it("fails as not_approved when the channel gives up on an ask the node did not stop", async () => {
    const asks = new FakeAskChannel();
    const { supervisor, ended } = setup(asks);
    supervisor.offer(offer(1, { ...sh("true"), approveBefore: "done" }), { draining: false });
    (await firstAsk(asks)).refuse("the ask expired");
    expect((await ended(cid(1))).outcome).toMatchObject({ reason: "not_approved", message: "no answer at the done gate: the ask expired" });
  });
});

function setup(asks?: FakeAskChannel) {
  return supervisorHarness({ dataDir, agents, ...(asks ? { asks } : {}) });
}
