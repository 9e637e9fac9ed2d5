import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeCoordinator, startFakeCoordinator } from "../_testing/fake-coordinator.js";
import { fakeIo } from "../_testing/fake-io.js";
import { nodeView, status } from "../_testing/fixtures.js";
import { runCli } from "../cli.js";

let fake: FakeCoordinator;
const env = () => ({ MUSTER_URL: fake.url, MUSTER_TOKEN: "mat_t" });

beforeAll(async () => {
  fake = await startFakeCoordinator({ "GET /v1/status": { body: status() }, "GET /v1/nodes": { body: { nodes: [nodeView()] } } });
});
afterAll(() => fake.close());

describe("muster status", () => {
  it("prints the coordinator, an aligned node table and the task counts", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["status"], io)).toBe(0);
    expect(io.out()).toBe(
      [
        `coordinator ${fake.url}  version 0.1.0  pglite  up 3h`,
        "",
        "NAME   STATE  LABELS           RUNNING  AGENTS       HEARTBEAT  VERSION  SANDBOX",
        "gpu-1  ready  gpu=true,zone=a  1/4      exec,claude  2s ago     0.1.0    bwrap",
        "cpu-1  lost   -                0/2      -            -          -        -",
        "",
        "tasks: 3 queued, 0 assigned, 1 running, 10 succeeded, 2 failed, 0 cancelled",
        "",
      ].join("\n"),
    );
  });

  it("--json prints the Status body exactly", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["status", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual(status());
    expect(fake.requests.at(-1)?.headers.authorization).toBe("Bearer mat_t");
  });

  it("says how to add a node when there are none", async () => {
    fake.on("GET /v1/status", { body: status({ nodes: [] }) });
    const io = fakeIo({ env: env() });
    expect(await runCli(["status"], io)).toBe(0);
    expect(io.out()).toContain("no nodes yet: make a join key with `muster join-keys create`");
  });
});

/** A fake io whose sleeps abort the watch after `refreshes` refreshes. */
function watchIo(refreshes: number, over: Parameters<typeof fakeIo>[0] = {}) {
  const stop = new AbortController();
  const io = fakeIo({ env: env(), signal: stop.signal, ...over });
  io.sleep = async (ms) => {
    io.sleeps.push(ms);
    if (io.sleeps.length >= refreshes) stop.abort();
  };
  return io;
}

describe("muster status --watch", () => {
  beforeEach(() => fake.on("GET /v1/status", { body: status() }));
  const requests = () => fake.requests.filter((r) => r.url === "/v1/status").length;

  it("on a non-terminal prints each refresh after a blank line, every --interval", async () => {
    const io = watchIo(2);
    const before = requests();
    expect(await runCli(["status", "--watch", "--interval", "500ms"], io)).toBe(0);
    expect(requests() - before).toBe(2);
    expect(io.sleeps).toEqual([500, 500]);
    const once = fakeIo({ env: env() });
    await runCli(["status"], once);
    expect(io.out()).toBe(`${once.out()}\n${once.out()}`);
    expect(io.out()).not.toContain("\u001b");
  });

  it("on a terminal clears the screen before each refresh, colouring states unless NO_COLOR", async () => {
    const io = watchIo(2, { tty: true, env: { ...env(), NO_COLOR: "1" } });
    expect(await runCli(["status", "-w"], io)).toBe(0);
    expect(io.sleeps).toEqual([2000, 2000]);
    const frames = io.out().split("\u001b[H\u001b[2J");
    expect(frames).toHaveLength(3);
    expect(frames[0]).toBe("");
    expect(frames[1]).toBe(frames[2]);
    expect(frames[1]).not.toContain("\u001b");

    const colored = watchIo(1, { tty: true });
    expect(await runCli(["status", "--watch"], colored)).toBe(0);
    expect(colored.out()).toContain("gpu-1  \u001b[32mready\u001b[39m  gpu=true,zone=a");
    expect(colored.out()).toContain("cpu-1  \u001b[31mlost\u001b[39m   -");
  });

  it("--json --watch prints one compact Status per line per refresh", async () => {
    const io = watchIo(2, { tty: true });
    expect(await runCli(["status", "--watch", "--json"], io)).toBe(0);
    const lines = io.out().trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(JSON.parse(line)).toEqual(status());
  });

  it("keeps watching when a later refresh cannot reach the coordinator", async () => {
    let n = 0;
    fake.on("GET /v1/status", (_req, res) => {
      n++;
      res.writeHead(n === 2 ? 503 : 200, { "content-type": "application/json" });
      res.end(n === 2 ? "" : JSON.stringify(status()));
    });
    const io = watchIo(3);
    expect(await runCli(["status", "--watch", "--json"], io)).toBe(0);
    expect(io.out().trimEnd().split("\n")).toHaveLength(2);
    expect(io.err()).toBe(`muster: cannot reach coordinator at ${fake.url}: HTTP 503 Service Unavailable (retrying every 2s)\n`);
    fake.on("GET /v1/status", { body: status() });
  });

  it.each([
    [["status", "--watch", "--interval", "soon"], /^muster: --interval: invalid duration "soon"/],
    [["status", "--watch", "--interval", "10ms"], /^muster: --interval: must be at least 100ms/],
    [["status", "--interval", "5s"], /^muster: --interval needs --watch\n$/],
  ])("usage error: muster %j", async (argv, message) => {
    const io = fakeIo({ env: env() });
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err()).toMatch(message);
  });
});
