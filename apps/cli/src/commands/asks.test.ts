import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorBody, type FakeCoordinator, json, startFakeCoordinator } from "../_testing/fake-coordinator.js";
import { fakeIo } from "../_testing/fake-io.js";
import { askView, iso } from "../_testing/fixtures.js";
import { runCli } from "../cli.js";

let fake: FakeCoordinator;
const env = () => ({ MUSTER_URL: fake.url, MUSTER_TOKEN: "mat_t" });

const pending = askView();
const answered = askView({
  id: "ask_2",
  question: "Which database?\nstaging or prod",
  options: [],
  state: "answered",
  answer: "staging",
  answeredBy: "ana",
  answeredAt: iso(1000),
  nodeName: null,
});

beforeAll(async () => {
  process.env.TZ = "UTC";
  fake = await startFakeCoordinator({ "GET /v1/asks": { body: { asks: [pending, answered] } } });
});
afterAll(() => fake.close());

describe("muster asks", () => {
  it("prints a table of asks", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["asks"], io)).toBe(0);
    expect(io.out()).toBe(
      [
        "ID     TASK   NODE   QUESTION                         OPTIONS  STATE     ANSWER   AGE",
        "ask_1  tsk_2  gpu-1  Merge the branch to main?        yes,no   pending   -        2m",
        "ask_2  tsk_2  nod_1  Which database? staging or prod  -        answered  staging  2m",
        "",
      ].join("\n"),
    );
  });

  it("filters by state and task, and --json prints the AskList", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["asks", "--state", "pending", "--task", "tsk_2", "--json"], io)).toBe(0);
    expect(fake.requests.at(-1)?.url).toBe("/v1/asks?state=pending&taskId=tsk_2&limit=100");
    expect(JSON.parse(io.out())).toEqual({ asks: [pending, answered] });
  });

  it("refuses a state that does not exist", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["asks", "--state", "open"], io)).toBe(2);
    expect(io.err()).toContain("Allowed choices are pending, answered");
  });
});

describe("muster asks wait", () => {
  it("long-polls until an ask is pending and prints the oldest", async () => {
    let polls = 0;
    fake.on("GET /v1/asks", (_req, res) => {
      polls += 1;
      json(res, 200, { asks: polls < 3 ? [] : [askView({ id: "ask_9" }), pending] });
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["asks", "wait"], io)).toBe(0);
    expect(fake.requests.at(-1)?.url).toBe("/v1/asks?state=pending&waitMs=60000&limit=500");
    expect(polls).toBe(3);
    const out = io.out();
    expect(out).toMatch(/^id: +ask_1\n/);
    expect(out).toContain("options:  yes, no\n");
    expect(out).toContain("\n\nMerge the branch to main?\n\nanswer with: muster answer ask_1 yes|no\n");
  });

  it("--json prints the AskView", async () => {
    fake.on("GET /v1/asks", { body: { asks: [pending] } });
    const io = fakeIo({ env: env() });
    expect(await runCli(["asks", "wait", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual(pending);
  });

  it("exits 1 when nothing is asked before the timeout, polling no longer than that", async () => {
    fake.on("GET /v1/asks", { body: { asks: [] } });
    const io = fakeIo({ env: env() });
    const before = fake.requests.length;
    expect(await runCli(["asks", "wait", "--timeout", "3s"], io)).toBe(1);
    expect(io.err()).toBe("muster: no pending ask within 3s\n");
    expect(fake.requests[before]?.url).toBe("/v1/asks?state=pending&waitMs=3000&limit=500");
  });

  it("rejects a bad --timeout as usage", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["asks", "wait", "--timeout", "soon"], io)).toBe(2);
    expect(io.err()).toMatch(/^muster: --timeout: invalid duration/);
  });
});

describe("muster asks wait with a tool call", () => {
  it("prints the tool, a one-line input, the diff and how to answer", async () => {
    const tool = askView({
      id: "ask_9",
      question: "Allow Write: src/a.ts",
      options: ["allow", "deny", "allow-for-task"],
      tool: { name: "Write", input: { file_path: "src/a.ts", content: "b\n" }, diff: "--- src/a.ts\n+++ src/a.ts\n@@ -1 +1 @@\n-a\n+b\n" },
      expiresAt: iso(-60_000),
    });
    fake.on("GET /v1/asks", { body: { asks: [tool] } });
    const io = fakeIo({ env: env() });
    expect(await runCli(["asks", "wait"], io)).toBe(0);
    const out = io.out();
    expect(out).toMatch(/tool:\s+Write\n/);
    expect(out).toMatch(/input:\s+src\/a\.ts\n/);
    expect(out).toMatch(/expires:\s+.*\(in 1m\), then denied/);
    expect(out).toContain("Allow Write: src/a.ts\n\n--- src/a.ts\n+++ src/a.ts\n@@ -1 +1 @@\n-a\n+b\n\n");
    expect(out).toContain("answer with: muster answer ask_9 allow|deny|allow-for-task [--reason TEXT]");
    fake.on("GET /v1/asks", { body: { asks: [pending, answered] } });
  });
});

describe("muster answer", () => {
  it("answers an ask", async () => {
    fake.on("POST /v1/asks/ask_1/answer", (req, res) => {
      const { answer } = req.body as { answer: string };
      json(res, 200, askView({ state: "answered", answer, answeredBy: "admin", answeredAt: iso(0) }));
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["answer", "ask_1", "yes"], io)).toBe(0);
    expect(fake.requests.at(-1)?.body).toEqual({ answer: "yes", force: false });
    expect(io.out()).toBe("answered ask_1: yes\n");
  });

  it("sends --force and prints --json", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["answer", "ask_1", "no", "--force", "--json"], io)).toBe(0);
    expect(fake.requests.at(-1)?.body).toEqual({ answer: "no", force: true });
    expect(JSON.parse(io.out())).toMatchObject({ id: "ask_1", answer: "no" });
  });

  it("sends --reason with a deny and prints it; refuses an empty reason", async () => {
    fake.on("POST /v1/asks/ask_5/answer", (req, res) => {
      const { answer, reason } = req.body as { answer: string; reason: string };
      json(res, 200, askView({ id: "ask_5", options: ["allow", "deny", "allow-for-task"], state: "answered", answer, reason, answeredBy: "admin", answeredAt: iso(0) }));
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["answer", "ask_5", "deny", "--reason", "no network"], io)).toBe(0);
    expect(fake.requests.at(-1)?.body).toEqual({ answer: "deny", force: false, reason: "no network" });
    expect(io.out()).toBe("answered ask_5: deny (no network)\n");
    const empty = fakeIo({ env: env() });
    expect(await runCli(["answer", "ask_5", "deny", "--reason", " "], empty)).toBe(2);
    expect(empty.err()).toContain("--reason: must not be empty");
  });

  it.each([
    [409, "conflict", 'ask ask_3 was already answered "yes" by ana; use force to change it'],
    [400, "validation_failed", "answer must be one of: yes, no"],
  ])("turns a %i into one line and exit 1", async (status, code, message) => {
    fake.on("POST /v1/asks/ask_3/answer", { status, body: errorBody(code, message) });
    const io = fakeIo({ env: env() });
    expect(await runCli(["answer", "ask_3", "maybe"], io)).toBe(1);
    expect(io.err()).toBe(`muster: ${message} [${code}]\n`);
    expect(io.out()).toBe("");
  });
});

describe("muster tell", () => {
  const tell = { id: "tel_1", taskId: "tsk_2", claimId: "clm_1", text: "use staging", from: "admin", state: "queued", createdAt: iso(0) };

  it("queues a message for the task's worker", async () => {
    fake.on("POST /v1/tasks/tsk_2/tell", { body: tell });
    const io = fakeIo({ env: env() });
    expect(await runCli(["tell", "tsk_2", "use staging"], io)).toBe(0);
    expect(fake.requests.at(-1)?.body).toEqual({ text: "use staging" });
    expect(io.out()).toBe("told tsk_2 (tel_1, queued)\n");
  });

  it("--json prints the TellView; a finished task is one line and exit 1", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["tell", "tsk_2", "use staging", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual(tell);
    fake.on("POST /v1/tasks/tsk_9/tell", { status: 409, body: errorBody("invalid_state", "task tsk_9 has no running worker to tell (it is succeeded)") });
    const failed = fakeIo({ env: env() });
    expect(await runCli(["tell", "tsk_9", "hi"], failed)).toBe(1);
    expect(failed.err()).toBe("muster: task tsk_9 has no running worker to tell (it is succeeded) [invalid_state]\n");
  });
});
