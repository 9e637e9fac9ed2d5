// A chaos cluster: one coordinator (killable and restartable on the same data dir / database), nodes that each
// reach it through their own LinkProxy, the tasks the test submitted, and the coordinator's history log.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshPostgres, pglite, type TestDatabase } from "../harness/databases.js";
import { runBin } from "../harness/fleet.js";
import { BIN } from "../harness/paths.js";
import { api, eventually, FAST_TIMINGS } from "../harness/processes.js";
import type { FinalTask, Submitted } from "./checker.js";
import { TERMINAL } from "./checker.js";
import { parseHistoryLine, TEST_SOURCE, type Logged } from "./history.js";
import { DaemonProc } from "./proc.js";
import { LinkProxy } from "./proxy.js";
import { parseStamps, workerArgv, type Stamp } from "./worker.js";

const DAEMON_ENV = { MUSTER_LOG_LEVEL: "debug", MUSTER_LOG_FORMAT: "json" };
/** Short retry backoff (doubling per attempt) so a task hit several times is not parked for minutes. */
const COORDINATOR_ENV = { ...FAST_TIMINGS, ...DAEMON_ENV, MUSTER_RETRY_BACKOFF: "100ms" };

export class ChaosNode {
  proc: DaemonProc | null = null;
  readonly runs: DaemonProc[] = [];

  constructor(
    readonly name: string,
    readonly nodeId: string,
    readonly config: string,
    readonly dataDir: string,
    readonly proxy: LinkProxy,
  ) {}
}

export interface ClusterOptions {
  kind: "pglite" | "postgres";
  nodes: number;
  capacity?: number;
}

/** Polls `probe` until it returns something other than undefined; the error says what was awaited. */
export function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: () => string, everyMs = 50): Promise<T> {
  return eventually(probe, timeoutMs, what, everyMs);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ChaosCluster {
  readonly submitted: (Submitted & { name: string })[] = [];
  readonly history: Logged[] = [];
  readonly coordinators: DaemonProc[] = [];
  readonly nodes: ChaosNode[] = [];
  readonly timeline: string[] = [];
  readonly stampsFile: string;
  /** Workers submitted with `hold` wait for this file before they exit (see `release`). */
  readonly holdFile: string;
  readonly coordDir: string;
  url = "";
  token = "";
  private readonly t0 = Date.now();
  private readonly nodeOfClaim = new Map<string, string>();

  private constructor(
    readonly kind: "pglite" | "postgres",
    readonly dir: string,
    readonly db: TestDatabase,
  ) {
    this.stampsFile = join(dir, "stamps");
    this.holdFile = join(dir, "release");
    this.coordDir = join(dir, "coordinator");
    writeFileSync(this.stampsFile, "");
  }

  static async start(opts: ClusterOptions): Promise<ChaosCluster> {
    const dir = mkdtempSync(join(tmpdir(), "muster-chaos-"));
    const db = opts.kind === "postgres" ? await freshPostgres() : pglite();
    const c = new ChaosCluster(opts.kind, dir, db);
    try {
      await c.startCoordinator();
      const key = await api<{ key: string }>(c, "POST", "/v1/join-keys", { uses: opts.nodes, ttlMs: 3_600_000 });
      if (key.status !== 201) throw new Error(`join key: ${key.status} ${JSON.stringify(key.body)}`);
      const joined = await Promise.all(Array.from({ length: opts.nodes }, (_, i) => c.joinNode(`n${i + 1}`, key.body.key, opts.capacity ?? 2)));
      c.nodes.push(...joined);
      for (const n of c.nodes) c.startNode(n);
      await c.waitNodesReady();
    } catch (err) {
      // The test never gets the cluster to dispose of, so nothing it started may outlive this.
      await c.dispose();
      throw err;
    }
    c.note(`cluster ready: ${c.nodes.map((n) => `${n.name}=${n.nodeId}`).join(" ")}`);
    return c;
  }

  note(what: string): void {
    this.timeline.push(`+${((Date.now() - this.t0) / 1000).toFixed(2)}s ${what}`);
    if (process.env.MUSTER_TEST_VERBOSE) process.stderr.write(`[chaos] ${what}\n`);
  }

  get coordinator(): DaemonProc {
    return this.coordinators[this.coordinators.length - 1]!;
  }

  // ---- coordinator ----

  async startCoordinator(): Promise<void> {
    const incarnation = this.coordinators.length;
    const args = [BIN.coordinator, "start", "--port", "0", "--data-dir", this.coordDir];
    if (this.db.url) args.push("--database-url", this.db.url);
    const env = { ...COORDINATOR_ENV, MUSTER_ADMIN_TOKEN: undefined };
    const proc = new DaemonProc(`coordinator#${incarnation}`, args, env, (line) => {
      const e = parseHistoryLine(line, incarnation);
      if (e) this.history.push(e);
    });
    this.coordinators.push(proc);
    const line = await proc.waitFor(/coordinator listening/, 30_000);
    this.url = (JSON.parse(line) as { url: string }).url;
    this.token = readFileSync(join(this.coordDir, "admin.token"), "utf8").trim();
    const port = Number(new URL(this.url).port);
    for (const n of this.nodes) n.proxy.retarget({ host: "127.0.0.1", port });
    this.note(`coordinator#${incarnation} listening on ${this.url}`);
  }

  async stopCoordinator(signal: NodeJS.Signals): Promise<void> {
    this.note(`${signal} coordinator#${this.coordinators.length - 1}`);
    await this.coordinator.stop(signal, 15_000);
  }

  async restartCoordinator(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await this.stopCoordinator(signal);
    await this.startCoordinator();
  }

  // ---- nodes ----

  private async joinNode(name: string, key: string, capacity: number): Promise<ChaosNode> {
    const proxy = new LinkProxy(name, { host: "127.0.0.1", port: Number(new URL(this.url).port) });
    await proxy.listen();
    const config = join(this.dir, `${name}.json`);
    const args = ["join", proxy.url, "--name", name, "--key", key, "--config", config, "--json", "--capacity", String(capacity)];
    const res = await runBin(BIN.node, args, { HOME: this.dir });
    if (res.code !== 0) throw new Error(`muster-node join ${name} exited ${res.code}: ${res.stderr}`);
    const { nodeId } = JSON.parse(res.stdout) as { nodeId: string };
    return new ChaosNode(name, nodeId, config, join(this.dir, `${name}-data`), proxy);
  }

  startNode(n: ChaosNode): void {
    const proc = new DaemonProc(`${n.name}#${n.runs.length}`, [BIN.node, "start", "--config", n.config], {
      ...DAEMON_ENV,
      MUSTER_NODE_DATA_DIR: n.dataDir,
      // The workers stamp one file the checker reads, which a sandbox rightly keeps them from writing: the chaos
      // suite judges leases and fencing; test/security/sandbox.test.ts judges the sandboxes.
      MUSTER_NODE_SANDBOX: "none",
      HOME: this.dir,
    });
    n.proc = proc;
    n.runs.push(proc);
    this.note(`start node ${n.name} (run ${n.runs.length})`);
  }

  async stopNode(n: ChaosNode, signal: NodeJS.Signals, timeoutMs = 15_000): Promise<void> {
    if (!n.proc) return;
    this.note(`${signal} node ${n.name}`);
    const exit = await n.proc.stop(signal, timeoutMs);
    if (signal !== "SIGKILL") this.note(`node ${n.name} exited code=${exit.code} signal=${exit.signal}`);
    n.proc = null;
  }

  async restartNode(n: ChaosNode, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await this.stopNode(n, signal);
    this.startNode(n);
  }

  node(name: string): ChaosNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  async waitNodesReady(names = this.nodes.filter((n) => n.proc).map((n) => n.name), timeoutMs = 20_000): Promise<void> {
    let seen = "";
    await until(
      async () => {
        const res = await api<{ nodes: { name: string; state: string; connected: boolean }[] }>(this, "GET", "/v1/nodes");
        seen = res.body.nodes.map((n) => `${n.name}=${n.state}${n.connected ? "" : "(disconnected)"}`).join(" ");
        const ready = res.body.nodes.filter((n) => n.connected && (n.state === "ready" || n.state === "busy"));
        return names.every((name) => ready.some((n) => n.name === name)) ? true : undefined;
      },
      timeoutMs,
      () => `nodes ${names.join(",")} to be connected and ready; last seen: ${seen}`,
    );
  }

  // ---- tasks and workers ----

  /** With `hold`, the worker prints its lines and then waits for `release()` before it exits. */
  async submit(lines: number, opts: { maxAttempts?: number; hold?: boolean } = {}): Promise<string> {
    const name = `chaos-${this.submitted.length + 1}`;
    const argv = workerArgv(this.stampsFile, { lines, ...(opts.hold ? { holdFile: this.holdFile } : {}) });
    const body = { name, agent: "exec", argv, maxAttempts: opts.maxAttempts ?? 10, timeoutMs: 120_000 };
    const res = await api<{ id: string }>(this, "POST", "/v1/tasks", body);
    if (res.status !== 201) throw new Error(`submit ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    this.submitted.push({ taskId: res.body.id, lines, name });
    this.history.push({ ev: "submit", taskId: res.body.id, incarnation: TEST_SOURCE, time: Date.now() });
    return res.body.id;
  }

  /** Lets every held worker exit once it has printed its lines. */
  release(): void {
    writeFileSync(this.holdFile, "");
    this.note("release held workers");
  }

  stamps(): Stamp[] {
    return parseStamps(readFileSync(this.stampsFile, "utf8"));
  }

  /** Workers stamping now (started, not ended, stamped within the last 300 ms), with the node running each. */
  async liveWorkers(): Promise<{ taskId: string; claimId: string; nodeId: string }[]> {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const byClaim = new Map<string, { taskId: string; last: bigint; ended: boolean; started: boolean }>();
    for (const s of this.stamps()) {
      const w = byClaim.get(s.claimId) ?? { taskId: s.taskId, last: 0n, ended: false, started: false };
      w.last = s.ns > w.last ? s.ns : w.last;
      w.ended ||= s.kind === "end";
      w.started ||= s.kind === "start";
      byClaim.set(s.claimId, w);
    }
    const live = [...byClaim].filter(([, w]) => w.started && !w.ended && nowNs - w.last < 300_000_000n);
    const out = [];
    for (const [claimId, w] of live) out.push({ taskId: w.taskId, claimId, nodeId: await this.claimNode(w.taskId, claimId) });
    return out;
  }

  private async claimNode(taskId: string, claimId: string): Promise<string> {
    const known = this.nodeOfClaim.get(claimId);
    if (known) return known;
    const res = await api<{ claims: { claimId: string; nodeId: string }[] }>(this, "GET", `/v1/tasks/${taskId}`);
    for (const c of res.body.claims ?? []) this.nodeOfClaim.set(c.claimId, c.nodeId);
    return this.nodeOfClaim.get(claimId) ?? "unknown";
  }

  /** Waits until `node` runs at least `min` workers; returns them. */
  async waitWorkersOn(n: ChaosNode, min: number, timeoutMs = 20_000): Promise<{ taskId: string; claimId: string }[]> {
    let seen = 0;
    return until(
      async () => {
        const mine = (await this.liveWorkers()).filter((w) => w.nodeId === n.nodeId);
        seen = mine.length;
        return mine.length >= min ? mine : undefined;
      },
      timeoutMs,
      () => `${min} live workers on node ${n.name}; saw ${seen}`,
    );
  }

  /** Waits until every submitted task has ended; returns each task with its claims. */
  async waitAllEnded(timeoutMs = 60_000): Promise<FinalTask[]> {
    let pending: { id: string; name: string | null; state: string; attempts: number; nodeName: string | null; notBefore: string | null }[] = [];
    await until(
      async () => {
        const res = await api<{ tasks: typeof pending }>(this, "GET", "/v1/tasks?limit=500");
        const ours = new Set(this.submitted.map((s) => s.taskId));
        const mine = res.body.tasks.filter((t) => ours.has(t.id));
        pending = mine.filter((t) => !TERMINAL.has(t.state));
        return mine.length === ours.size && pending.length === 0 ? true : undefined;
      },
      timeoutMs,
      () =>
        `every task to end; still open: ${pending.map((t) => `${t.name}(${t.id}) ${t.state} attempts=${t.attempts} node=${t.nodeName} notBefore=${t.notBefore}`).join("; ")}\n${this.timeline.join("\n")}`,
      200,
    );
    this.note("every task has ended");
    return Promise.all(this.submitted.map(async (s) => (await api<FinalTask>(this, "GET", `/v1/tasks/${s.taskId}`)).body));
  }

  // ---- teardown ----

  /** SIGKILLs any process whose command line names this cluster's directory (leftover workers); returns how many. */
  killLeftovers(): number {
    let killed = 0;
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        if (cmd.includes(this.stampsFile) && Number(pid) !== process.pid) {
          process.kill(Number(pid), "SIGKILL");
          killed += 1;
        }
      } catch {
        // Gone already, or not ours to read.
      }
    }
    return killed;
  }

  async dispose(): Promise<void> {
    for (const n of this.nodes) await n.proc?.stop("SIGKILL");
    for (const c of this.coordinators) await c.stop("SIGKILL");
    for (const n of this.nodes) await n.proxy.close();
    this.killLeftovers();
    await this.db.drop().catch(() => {});
    if (process.env.MUSTER_CHAOS_KEEP) {
      // Keep everything for a post-mortem: stamps, node data dirs, and every process's log.
      for (const p of [...this.coordinators, ...this.nodes.flatMap((n) => n.runs)]) writeFileSync(join(this.dir, `${p.name}.log`), `${p.lines.join("\n")}\n`);
      writeFileSync(join(this.dir, "timeline"), `${this.timeline.join("\n")}\n`);
      process.stdout.write(`chaos: kept ${this.dir}\n`);
    } else if (existsSync(this.dir)) rmSync(this.dir, { recursive: true, force: true });
  }
}
