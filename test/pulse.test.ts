// The pulse end to end with real processes: a coordinator, a node, a sensor reading a file, and a scripted decider
// (an exec command that reads $MUSTER_PROMPT_FILE and writes the move the test chose to $MUSTER_RESULT_FILE).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds } from "./harness/databases.js";
import { joinNode, muster, musterJson, startNode, tempDir, type NodeHandle } from "./harness/fleet.js";
import { ROOT } from "./harness/paths.js";
import { api, disposeCoordinator, eventually, startCoordinator, startCoordinatorAgain, type CoordinatorHandle } from "./harness/processes.js";

const kinds = await databaseKinds();

// Workers run sandboxed with a private /tmp and a read-only machine: what they read lives outside /tmp, and what
// they do is seen through the coordinator, not through files they write.
const PULSE_TIMINGS = {
  MUSTER_PULSE_TICK: "200ms",
  MUSTER_PULSE_BACKOFF: "300ms",
  MUSTER_PULSE_BACKOFF_MAX: "1s",
  // Decide tasks start node processes; on a busy machine the shortest leases lapse under them.
  MUSTER_LEASE: "15s",
  MUSTER_LEASE_GRACE: "5s",
};

const DECIDER = `
import { readFileSync, writeFileSync } from "node:fs";
const prompt = readFileSync(process.env.MUSTER_PROMPT_FILE, "utf8");
if (!prompt.includes("# Sensor readings")) process.exit(3);
writeFileSync(process.env.MUSTER_RESULT_FILE, readFileSync(process.argv[2], "utf8"));
`;

describe.each(kinds)("the pulse on %s", (kind) => {
  let c: CoordinatorHandle;
  let dir: ReturnType<typeof tempDir>;
  /** Files the sandboxed workers read. */
  let shared: string;
  let node: NodeHandle;
  const path = (name: string) => join(shared, name);
  let worldVersion = 0;

  // A decide task the fleet lost (a lapsed lease on an overloaded machine) is a failed beat the pulse retries
  // after its backoff; it is not a decision the decider made, so the counts below leave it out.
  const lostByFleet = (d: any) => d.state === "failed" && /^the decide task (failed|cancelled)/.test(d.error ?? "");

  const decisions = async () => (await api<{ decisions: any[] }>(c, "GET", "/v1/pulse/decisions?limit=500")).body.decisions.filter((d: any) => !lostByFleet(d));
  const promptOf = async (id: string) => (await api<{ prompt: string }>(c, "GET", `/v1/pulse/decisions/${id}`)).body.prompt;
  const lastPrompt = async () => promptOf((await decisions())[0].id);
  const status = async () => musterJson(c, dir.path, "pulse", "status");
  const nextMove = (move: unknown) => writeFileSync(path("next.json"), typeof move === "string" ? move : JSON.stringify(move));
  /** Changes the world the sensor reads; resolves once the pulse has decided on it and the move has settled. */
  const changeWorld = async (settled: string[] = ["done"]) => {
    const before = (await decisions()).length;
    worldVersion += 1;
    writeFileSync(path("world.json"), JSON.stringify({ signal: { version: worldVersion }, detail: `noise ${Date.now()}` }));
    return eventually(async () => {
      const all = await decisions();
      const d = all[0];
      return all.length === before + 1 && settled.includes(d.state) ? d : undefined;
    }, 40_000, () => `a decision on world version ${worldVersion}`);
  };

  beforeAll(async () => {
    c = await startCoordinator(kind, PULSE_TIMINGS);
    dir = tempDir("muster-pulse-");
    mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
    shared = mkdtempSync(join(ROOT, "test-artifacts", "pulse-"));
    writeFileSync(path("decider.mjs"), DECIDER);
    writeFileSync(path("world.json"), JSON.stringify({ signal: { version: 0 } }));
    nextMove({ move: "noop", journal: "nothing changed that matters" });
    const key = await musterJson<{ key: string }>(c, dir.path, "join-keys", "create", "--uses", "1", "--ttl", "10m");
    node = startNode(await joinNode(c, dir.path, key.key, "worker-1", { labels: ["role=work"], capacity: 4 }));
    await eventually(async () => ((await musterJson(c, dir.path, "status")).nodes[0]?.state === "ready" ? true : undefined), 60_000, "the node ready");
  }, 180_000);

  afterAll(async () => {
    await node?.proc.stop("SIGKILL");
    if (c) await disposeCoordinator(c);
    dir?.remove();
    if (shared) rmSync(shared, { recursive: true, force: true });
  });

  it("starts paused with a starter PLAYBOOK and a setup goal", async () => {
    const s = await status();
    expect(s).toMatchObject({ phase: "paused", paused: true, agent: { agent: "claude" }, maxDecidesPerHour: 120 });
    expect((await musterJson(c, dir.path, "goal", "ls")).goals.map((g: any) => g.id)).toEqual(["setup"]);
    const playbook = await musterJson(c, dir.path, "playbook", "show");
    expect(playbook).toMatchObject({ version: 1, versions: [1] });
    expect(playbook.text).toContain("PLAYBOOK");
  });

  it("refuses bad input with one line and stores nothing", async () => {
    writeFileSync(path("goal.md"), "a goal");
    const slash = await muster(c, dir.path, "goal", "write", "ci/green", "-f", path("goal.md"));
    expect(slash.code).toBe(1);
    expect(slash.stderr.trim().split("\n")).toHaveLength(1);
    expect(slash.stderr).toMatch(/goal id.*no slash/);
    writeFileSync(path("huge.md"), "x".repeat(64 * 1024 + 1));
    const huge = await muster(c, dir.path, "playbook", "write", "-f", path("huge.md"));
    expect(huge.code).toBe(1);
    expect(huge.stderr).toMatch(/over the 65536 byte cap/);
    const viaApi = await api<any>(c, "POST", "/v1/playbook", { text: "x".repeat(64 * 1024 + 1) });
    expect(viaApi.status).toBe(400);
    expect(viaApi.body.error.code).toBe("validation_failed");
    const badSelector = await api<any>(c, "POST", "/v1/sensors/s1", { argv: ["true"], everyMs: 1000, selector: "a in (" });
    expect(badSelector.status).toBe(400);
    expect((await musterJson(c, dir.path, "playbook", "show")).versions).toEqual([1]);
    expect((await musterJson(c, dir.path, "sensor", "ls")).sensors).toEqual([]);
  });

  it("decides once on a new world, and makes no decide call while nothing changes", async () => {
    await musterJson(c, dir.path, "pulse", "configure", "--interval", "1s", "--", process.execPath, path("decider.mjs"), path("next.json"));
    await musterJson(c, dir.path, "sensor", "write", "world", "--every", "1s", "--", "cat", path("world.json"));
    // A sensor printing garbage is a failed reading, never a change.
    await musterJson(c, dir.path, "sensor", "write", "broken", "--every", "1s", "--", "sh", "-c", "echo not json");
    await musterJson(c, dir.path, "goal", "write", "ci-green", "-f", path("goal.md"));
    await musterJson(c, dir.path, "pulse", "resume");
    // The first beat may run before the sensor's first reading; wait until a decision has seen it.
    await eventually(async () => {
      const d = (await decisions())[0];
      return d?.state === "done" && (await promptOf(d.id)).includes('signal {"version":0}') ? d : undefined;
    }, 40_000, "a decision that saw the world");
    const settled = (await decisions()).length;
    const decideTasks = async () => (await musterJson(c, dir.path, "tasks", "--limit", "500")).tasks.filter((t: any) => t.name === "pulse decide").length;
    const decidesBefore = await decideTasks();
    const readingAt = (await musterJson(c, dir.path, "sensor", "show", "world")).last.takenAt;
    // Three more readings and beats of an unchanged world.
    await eventually(async () => {
      const s = await musterJson(c, dir.path, "sensor", "show", "world");
      return Date.parse(s.last.takenAt) > Date.parse(readingAt) + 2500 ? s : undefined;
    }, 30_000, "three more readings");
    expect((await decisions()).length).toBe(settled);
    expect(await decideTasks()).toBe(decidesBefore);
    const broken = await musterJson(c, dir.path, "sensor", "show", "broken");
    expect(broken.last).toMatchObject({ ok: false, error: expect.stringContaining("did not print one JSON object") });
    expect(await lastPrompt()).toContain("broken: FAILED");
  });

  it("turns one changed sensor into exactly one move", async () => {
    nextMove({ move: "write_goal", id: "docs", text: "the README explains the pulse", journal: "docs matter now" });
    const d = await changeWorld();
    expect(d.move).toMatchObject({ move: "write_goal", id: "docs" });
    expect((await musterJson(c, dir.path, "goal", "show", "docs")).text).toBe("the README explains the pulse");
    expect(await promptOf(d.id)).toContain('sensor world: {"version":0} -> {"version":1}');
    const journal = await musterJson(c, dir.path, "journal");
    expect(journal.entries.filter((e: any) => e.text === "write_goal: docs matter now")).toHaveLength(1);
  });

  it("starts a worker on a matching node, and shows its result in the next prompt", async () => {
    nextMove({
      move: "start_worker",
      id: "fixer",
      agent: "exec",
      selector: "role=work",
      command: ["sh", "-c", 'echo \'{"fixed":true}\' > "$MUSTER_RESULT_FILE"'],
      journal: "fix it",
    });
    const d = await changeWorld();
    expect(d.resultTaskId).toBeTruthy();
    // The worker's end is news: it wakes the pulse, whose next prompt shows the result.
    nextMove({ move: "noop", journal: "fixer is done" });
    const task = await eventually(async () => {
      const t = await musterJson(c, dir.path, "task", d.resultTaskId);
      return t.state === "succeeded" ? t : undefined;
    }, 30_000, "the worker to succeed");
    expect(task).toMatchObject({ nodeName: "worker-1", result: { value: { fixed: true } } });
    expect((await muster(c, dir.path, "task", d.resultTaskId)).stdout).toMatch(/result:\s+\{"fixed":true\}/);
    const next = await eventually(async () => {
      const [x] = await decisions();
      return x.id !== d.id && x.state === "done" ? x : undefined;
    }, 30_000, "the decision after the worker ended");
    expect(await promptOf(next.id)).toContain(`- fixer (task ${d.resultTaskId}): succeeded; result {"fixed":true}`);
    expect(await promptOf(next.id)).toContain("worker fixer succeeded");
  });

  it("holds a gated move for its ask and runs it only on yes", async () => {
    nextMove({ move: "run_command", command: ["sh", "-c", "echo deploy; echo '{\"shipped\":1}' > \"$MUSTER_RESULT_FILE\""], journal: "ship it" });
    const commands = async () => (await musterJson(c, dir.path, "tasks", "--limit", "500")).tasks.filter((t: any) => t.name === "pulse command");
    const refused = await changeWorld(["waiting"]);
    expect(refused.askId).toBeTruthy();
    const ask = (await api<any>(c, "GET", `/v1/asks/${refused.askId}`)).body;
    expect(ask).toMatchObject({ state: "pending", gate: "pulse", options: ["yes", "no"] });
    expect((await status()).phase).toBe("waiting_approval");
    expect((await muster(c, dir.path, "answer", refused.askId, "no")).code).toBe(0);
    await eventually(async () => ((await decisions())[0].state === "refused" ? true : undefined), 20_000, "the move refused");

    const approved = await changeWorld(["waiting"]);
    expect(await commands()).toEqual([]);
    expect((await muster(c, dir.path, "answer", approved.askId, "yes")).code).toBe(0);
    const ran = await eventually(async () => {
      const [t] = await commands();
      return t?.state === "succeeded" ? t : undefined;
    }, 30_000, "the approved command to run");
    expect(ran.result).toEqual({ value: { shipped: 1 } });
    expect(await commands()).toHaveLength(1);
    const all = await decisions();
    expect(all.find((x) => x.id === approved.id).state).toBe("done");
    expect(all.find((x) => x.id === refused.id).state).toBe("refused");
  });

  it("fails a beat on two moves or garbage, says so, backs off and decides again", async () => {
    nextMove([{ move: "noop", journal: "a" }, { move: "noop", journal: "b" }]);
    const two = await changeWorld(["failed"]);
    expect(two.error).toMatch(/2 moves; exactly one is allowed/);
    nextMove("not json at all");
    const failedWith = (re: RegExp, what: string) =>
      eventually(async () => (await decisions()).find((d) => d.state === "failed" && re.test(d.error ?? "")), 30_000, what);
    const garbage = await failedWith(/not valid JSON/, "the beat after the backoff");
    expect(garbage.error).toMatch(/not valid JSON/);
    const journal = await musterJson(c, dir.path, "journal", "--limit", "200");
    expect(journal.entries.some((e: any) => e.kind === "failure" && e.text.includes("exactly one is allowed"))).toBe(true);
    nextMove({ move: "kill_worker", id: "nobody", journal: "stop it" });
    const unknown = await failedWith(/no worker nobody/, "the move naming an unknown worker");
    expect(unknown.error).toMatch(/no worker nobody/);
    nextMove({ move: "noop", journal: "calm again" });
    await eventually(async () => ((await decisions())[0].state === "done" ? true : undefined), 30_000, "a good beat after the failures");
    expect(await lastPrompt()).toContain("no worker nobody");
  });

  it("stops deciding at the decide budget and says so", async () => {
    const used = (await status()).decidesLastHour;
    const moves = (await decisions()).length;
    await musterJson(c, dir.path, "pulse", "configure", "--max-decides-per-hour", String(used + 1));
    await changeWorld();
    worldVersion += 1;
    writeFileSync(path("world.json"), JSON.stringify({ signal: { version: worldVersion } }));
    const s = await eventually(async () => {
      const st = await status();
      return st.phase === "waiting_budget" ? st : undefined;
    }, 20_000, "the pulse to wait on its budget");
    expect(s.decidesLastHour).toBe(used + 1);
    expect((await decisions()).length).toBe(moves + 1);
    const journal = await musterJson(c, dir.path, "journal");
    expect(journal.entries.some((e: any) => e.text.startsWith("decide budget spent"))).toBe(true);
    await musterJson(c, dir.path, "pulse", "configure", "--max-decides-per-hour", "1000");
    await eventually(async () => ((await decisions()).length === moves + 2 && (await decisions())[0].state === "done" ? true : undefined), 30_000, "deciding again");
  });

  it("carries out a move decided just before a crash exactly once after the restart, and keeps its schedules", async () => {
    nextMove({ move: "write_schedule", name: "hourly", every_s: 3600, journal: "look every hour" });
    await changeWorld();
    const before = (await status()).schedules;
    expect(before).toMatchObject([{ name: "hourly", everyMs: 3_600_000 }]);

    c = await startCoordinatorAgain(c, { ...PULSE_TIMINGS, MUSTER_TEST_PULSE_EXIT_AFTER_DECIDED: "1" });
    nextMove({ move: "start_worker", id: "once", agent: "exec", command: ["sh", "-c", "echo ran"], journal: "exactly once" });
    worldVersion += 1;
    writeFileSync(path("world.json"), JSON.stringify({ signal: { version: worldVersion } }));
    const died = await c.proc.exited;
    expect(died.signal).toBe("SIGKILL");
    // Nothing else kills it: the test hook did, right after the decision was stored and before its move.
    nextMove({ move: "noop", journal: "the worker ended" });

    c = await startCoordinatorAgain(c, PULSE_TIMINGS);
    const d = await eventually(async () => {
      const x = (await decisions())[0];
      return x.move?.id === "once" && x.state === "done" ? x : undefined;
    }, 30_000, "the decided move done after the restart");
    await eventually(async () => ((await musterJson(c, dir.path, "task", d.resultTaskId)).state === "succeeded" ? true : undefined), 30_000, "the worker to run");
    const tasks = await musterJson(c, dir.path, "tasks", "--limit", "500");
    expect(tasks.tasks.filter((t: any) => t.name === "worker once")).toHaveLength(1);
    const journal = await musterJson(c, dir.path, "journal", "--limit", "500");
    expect(journal.entries.filter((e: any) => e.text === "start_worker: exactly once")).toHaveLength(1);
    expect((await status()).schedules).toEqual(before);
  });
}, 240_000);
