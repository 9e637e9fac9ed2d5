import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakeIo } from "../_testing/fake-io.js";
import { type FakeNode, startFakeNode } from "../_testing/fake-node.js";
import { runCli } from "../cli.js";
import { splitOptions } from "./ask.js";

let node: FakeNode;

beforeEach(async () => {
  node = await startFakeNode();
});
afterEach(() => node.close());

const answer = { op: "answer", askId: "ask_1", answer: "yes", answeredBy: "ana" } as const;

describe("muster ask", () => {
  it("sends the question with the secret, waits for the answer and prints only it", async () => {
    const io = fakeIo({ env: node.env });
    const run = runCli(["ask", "Merge to main?", "--options", "yes, no", "--gate", "merge"], io);
    const req = await node.request(0);
    expect(req.body).toEqual({ op: "ask", secret: "s3cret-for-tests", question: "Merge to main?", options: ["yes", "no"], gate: "merge" });
    // Still waiting: nothing printed until the answer comes.
    await new Promise((r) => setTimeout(r, 50));
    expect(io.out()).toBe("");
    req.reply(answer);
    expect(await run).toBe(0);
    expect(io.out()).toBe("yes\n");
    expect(io.err()).toBe("");
  });

  it("--json prints the answer with its ask id and who gave it", async () => {
    node.respond = () => answer;
    const io = fakeIo({ env: node.env });
    expect(await runCli(["ask", "ok?", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual({ askId: "ask_1", answer: "yes", answeredBy: "ana" });
    expect(node.requests[0]!.body).toMatchObject({ options: [], gate: null });
  });

  it("exits 2 outside a worker", async () => {
    const io = fakeIo({ env: {} });
    expect(await runCli(["ask", "ok?"], io)).toBe(2);
    expect(io.err()).toBe("muster: muster ask runs inside a Muster worker\n");
  });

  it("checks the question before asking", async () => {
    const io = fakeIo({ env: node.env });
    expect(await runCli(["ask", "x".repeat(9000)], io)).toBe(2);
    expect(io.err()).toMatch(/^muster: question: /);
    expect(node.requests).toHaveLength(0);
  });

  it("reports the node's error in one line: a refused secret exits 4, an ended claim 1", async () => {
    node.respond = () => ({ op: "error", code: "unauthorized", message: "wrong secret" });
    const refused = fakeIo({ env: node.env });
    expect(await runCli(["ask", "ok?"], refused)).toBe(4);
    expect(refused.err()).toBe("muster: wrong secret [unauthorized]\n");
    node.respond = () => ({ op: "error", code: "claim_ended", message: "claim clm_1 has ended" });
    const ended = fakeIo({ env: node.env });
    expect(await runCli(["ask", "ok?"], ended)).toBe(1);
    expect(ended.err()).toBe("muster: claim clm_1 has ended [claim_ended]\n");
  });

  it("fails when the node hangs up, and exits 3 when nothing listens", async () => {
    const io = fakeIo({ env: node.env });
    const run = runCli(["ask", "ok?"], io);
    (await node.request(0)).hangUp();
    expect(await run).toBe(1);
    expect(io.err()).toBe("muster: the node closed the connection before it answered\n");
    const gone = fakeIo({ env: { ...node.env, MUSTER_ASK_SOCKET: `${node.path}.missing` } });
    expect(await runCli(["ask", "ok?"], gone)).toBe(3);
    expect(gone.err()).toBe(`muster: cannot reach the node at ${node.path}.missing: ENOENT\n`);
  });

  it("splits options on commas and drops empty ones", () => {
    expect(splitOptions(" a, b ,,c ")).toEqual(["a", "b", "c"]);
    expect(splitOptions(undefined)).toEqual([]);
  });
});

describe("muster told", () => {
  it("prints each unread message on a line of its own, and nothing when there are none", async () => {
    node.respond = () => ({ op: "told", messages: [{ text: "use staging", from: "ana" }, { text: "skip e2e", from: "bo" }] });
    const io = fakeIo({ env: node.env });
    expect(await runCli(["told"], io)).toBe(0);
    expect(io.out()).toBe("use staging\nskip e2e\n");
    expect(node.requests[0]!.body).toEqual({ op: "told", secret: "s3cret-for-tests" });
    node.respond = () => ({ op: "told", messages: [] });
    const none = fakeIo({ env: node.env });
    expect(await runCli(["told"], none)).toBe(0);
    expect(none.out()).toBe("");
  });

  it("--json prints the messages; outside a worker it exits 2", async () => {
    node.respond = () => ({ op: "told", messages: [{ text: "use staging", from: "ana" }] });
    const io = fakeIo({ env: node.env });
    expect(await runCli(["told", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual({ messages: [{ text: "use staging", from: "ana" }] });
    const outside = fakeIo({ env: {} });
    expect(await runCli(["told"], outside)).toBe(2);
    expect(outside.err()).toBe("muster: muster told runs inside a Muster worker\n");
  });

  it("treats a garbled response as a failure", async () => {
    node.respond = () => "{nope";
    const io = fakeIo({ env: node.env });
    expect(await runCli(["told"], io)).toBe(1);
    expect(io.err()).toBe("muster: unexpected response from the node: not JSON\n");
  });
});
