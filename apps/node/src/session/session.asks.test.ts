// Asks and tells end to end through a node session: a real worker talks to its claim's socket, the fake
// coordinator answers with frames and heartbeat acks.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { findMusterCli } from "../asks/cli-bin.js";
import { generateNodeKeyPair, type NodeKeyPair } from "../identity/keys.js";
import { DESIRED, FakeCoordinator } from "./coordinator.fake.js";
import { NODE, offer, ref, startTestNode } from "./node.fake.js";
import type { NodeSession, SessionEnd } from "./session.js";

/** A worker speaking the local protocol itself: `call(req)` sends one request with the claim's secret. */
const LOCAL_CLIENT = `
const net = require("node:net");
const call = (req, secret = process.env.MUSTER_ASK_SECRET) => new Promise((resolve, reject) => {
  const s = net.connect(process.env.MUSTER_ASK_SOCKET, () => s.write(JSON.stringify({ ...req, secret }) + "\\n"));
  let buf = "";
  s.setEncoding("utf8");
  s.on("data", (d) => { buf += d; const i = buf.indexOf("\\n"); if (i >= 0) { s.destroy(); resolve(JSON.parse(buf.slice(0, i))); } });
  s.on("error", reject);
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
`;
const worker = (body: string) => [NODE, "-e", `${LOCAL_CLIENT}\n(async () => { ${body} })().catch((e) => { console.error(e); process.exit(9); });`];

const LEASE_MS = 30_000;
let coord: FakeCoordinator;
let keys: NodeKeyPair;
let running: Promise<SessionEnd> | null;
let current: NodeSession | null;

const run = (file: string, args: string[]) =>
  new Promise<{ ok: boolean; output: string }>((resolve) =>
    execFile(file, args, (err, stdout, stderr) => resolve({ ok: !err, output: stdout + stderr })),
  );

beforeAll(async () => {
  // The `muster` a worker runs is the CLI package's built bin (`npm run build` makes it); one built before
  // `muster ask` existed is built again here. Only then: a build next to the other tests slows them down.
  const cli = findMusterCli()!;
  if ((await run(process.execPath, [cli, "ask", "--help"])).ok) return;
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const build = await run(process.execPath, [tsc, "-p", join(dirname(dirname(cli)), "tsconfig.build.json")]);
  if (!build.ok) throw new Error(`building the CLI failed: ${build.output}`);
}, 60_000);

beforeEach(async () => {
  coord = new FakeCoordinator();
  await coord.start();
  keys = await generateNodeKeyPair();
});

afterEach(async () => {
  current?.stopWorkers();
  await running;
  await coord.stop();
});

async function startNode() {
  const node = await startTestNode(coord, keys);
  current = node.session;
  running = node.running;
  // The fake coordinator acks no heartbeat: a long lease keeps a slow machine from fencing the worker mid-test.
  await coord.welcome(50, { leaseMs: LEASE_MS });
  return node;
}

/** The next heartbeat's report of claim 1. */
async function report() {
  coord.inbox.splice(0, coord.inbox.length, ...coord.inbox.filter((m) => m.type !== "heartbeat"));
  return (await coord.take("heartbeat")).payload.claims.find((c) => c.claimId === "clm_1");
}

/** Collects claim.events (acking them) until an ask record arrives; returns it. */
async function nextAsk() {
  for (;;) {
    const frame = await coord.take("claim.events");
    const { claimId, taskId, token } = frame.payload;
    coord.send("ack", { claimId, taskId, token, seq: frame.payload.records.at(-1)!.seq, done: false }, { re: frame.id! });
    const ask = frame.payload.records.find((r) => r.kind === "ask");
    if (ask && ask.kind === "ask") return ask;
  }
}

describe("asks through the node", () => {
  it("blocks a worker's muster ask until the answer frame arrives, and prints only the answer", async () => {
    await startNode();
    coord.send("claim.offer", offer(1, ["sh", "-c", `muster ask "ok?" --options yes,no; echo "exit $?"`]), { id: "o1" });
    const ask = await nextAsk();
    expect(ask).toMatchObject({ kind: "ask", question: "ok?", options: ["yes", "no"], gate: null });
    expect((await report())?.waitingAsks).toEqual([ask.askId]);
    expect(coord.inbox.some((m) => m.type === "claim.done")).toBe(false);

    coord.send("ask.answer", { askId: ask.askId, claimId: "clm_1", answer: "yes", answeredBy: "ana" });
    const records = await coord.collectEvents((text) => text.includes("exit "));
    const stdout = records.flatMap((r) => (r.kind === "log" && r.stream === "stdout" ? [r.text] : [])).join("");
    expect(stdout).toBe("yes\nexit 0\n");
    expect((await coord.take("claim.done")).payload.outcome.status).toBe("succeeded");
  }, 30_000);

  it("delivers an answer from a heartbeat ack after a reconnect, once", async () => {
    await startNode();
    const body = `const a = await call({ op: "ask", question: "which db?" }); console.log(JSON.stringify(a));`;
    coord.send("claim.offer", offer(1, worker(body)), { id: "o1" });
    const ask = await nextAsk();
    coord.socket!.terminate();

    const hello = await coord.take("hello");
    expect(hello.payload.claims).toEqual([{ ...ref(1), phase: "running", lastSeq: expect.any(Number), waitingAsks: [ask.askId], tellsReceived: [] }]);
    coord.send("welcome", { sessionId: "ses_2", nodeId: "nod_1", version: "0.1.0", heartbeatIntervalMs: 50, leaseMs: LEASE_MS, leaseGraceMs: 1000, desired: DESIRED, serverTime: Date.now() }, { re: hello.id! });
    const answer = { askId: ask.askId, claimId: "clm_1", answer: "staging", answeredBy: "ana" };
    // The ack after welcome carries it, and so may the next ones until the node stops listing the ask.
    coord.send("heartbeat.ack", { leaseMs: LEASE_MS, desired: DESIRED, answers: [answer] });
    coord.send("heartbeat.ack", { leaseMs: LEASE_MS, desired: DESIRED, answers: [{ ...answer, answer: "prod" }] });
    const records = await coord.collectEvents((text) => text.includes("staging"));
    const line = records.flatMap((r) => (r.kind === "log" && r.stream === "stdout" ? [r.text] : [])).join("");
    expect(JSON.parse(line)).toEqual({ op: "answer", askId: ask.askId, answer: "staging", answeredBy: "ana" });
    expect((await coord.take("claim.done")).payload.outcome.status).toBe("succeeded");
  }, 30_000);

  it("refuses a worker that has the socket but the wrong secret", async () => {
    await startNode();
    const body = `console.log(JSON.stringify(await call({ op: "ask", question: "ok?" }, "guess")));`;
    coord.send("claim.offer", offer(1, worker(body)), { id: "o1" });
    const records = await coord.collectEvents((text) => text.includes("unauthorized"));
    expect(records.some((r) => r.kind === "ask")).toBe(false);
    expect((await coord.take("claim.done")).payload.outcome.status).toBe("succeeded");
  }, 30_000);
});

describe("tells through the node", () => {
  it("hands a tell to the worker at most once, and reports it received", async () => {
    await startNode();
    const body = `
      let got;
      for (;;) { got = await call({ op: "told" }); if (got.messages.length) break; await sleep(20); }
      const again = await call({ op: "told" });
      console.log(JSON.stringify({ got, again }));`;
    coord.send("claim.offer", offer(1, worker(body)), { id: "o1" });
    await coord.collectEvents(() => true);
    const tell = { tellId: "tel_1", claimId: "clm_1", text: "use staging", from: "ana" };
    coord.send("tell", tell);
    // Re-sent in an ack until the node lists it: still one message.
    coord.send("heartbeat.ack", { leaseMs: LEASE_MS, desired: DESIRED, tells: [tell] });
    const records = await coord.collectEvents((text) => text.includes("again"));
    const line = records.flatMap((r) => (r.kind === "log" && r.stream === "stdout" ? [r.text] : [])).join("");
    expect(JSON.parse(line)).toEqual({ got: { op: "told", messages: [{ text: "use staging", from: "ana" }] }, again: { op: "told", messages: [] } });
    await coord.take("claim.done");
  }, 30_000);

  it("lists tells in heartbeats while the claim runs", async () => {
    await startNode();
    coord.send("claim.offer", offer(1, [NODE, "-e", "setTimeout(() => {}, 3000)"]), { id: "o1" });
    await coord.take("claim.accept");
    coord.send("heartbeat.ack", { leaseMs: LEASE_MS, desired: DESIRED, tells: [{ tellId: "tel_7", claimId: "clm_1", text: "hi", from: "bo" }] });
    await expect.poll(async () => (await report())?.tellsReceived, { timeout: 3000, interval: 1 }).toEqual(["tel_7"]);
  }, 30_000);
});
