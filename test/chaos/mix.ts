// The randomized chaos run: a seed drives which faults hit which node or link, for how long, and when tasks arrive.
// Faults overlap (a link may be cut while its node restarts) but never two on the same node, link or coordinator.
import { sleep, type ChaosCluster, type ChaosNode } from "./cluster.js";
import { seededRng } from "./rng.js";

export interface MixOptions {
  seed: number;
  tasks: number;
  durationMs: number;
  maxAttempts: number;
}

const FAULTS = ["kill-node", "restart-node", "drain-node", "restart-coordinator", "cut", "stall", "delay"] as const;
type Fault = (typeof FAULTS)[number];

/** Draws a fixed amount of randomness per step, so the same seed gives the same plan whatever the timing. */
interface Step {
  fault: Fault;
  node: ChaosNode;
  /** How long the fault lasts, ms. */
  forMs: number;
  delayMs: number;
  signal: NodeJS.Signals;
  submit: number;
  pauseMs: number;
}

export async function runChaosMix(c: ChaosCluster, opts: MixOptions): Promise<void> {
  const rnd = seededRng(opts.seed);
  const busy = new Set<string>();
  const background: Promise<void>[] = [];
  let coordinatorUp: Promise<void> = Promise.resolve();
  const submit = async (n: number) => {
    for (let i = 0; i < n && c.submitted.length < opts.tasks; i++) {
      await coordinatorUp;
      await c.submit(rnd.int(20, 60), { maxAttempts: opts.maxAttempts });
    }
  };
  const run = (key: string, fault: () => Promise<void>) => {
    if (busy.has(key)) return;
    busy.add(key);
    background.push(fault().finally(() => busy.delete(key)));
  };

  await submit(6);
  const end = Date.now() + opts.durationMs;
  while (Date.now() < end) {
    const step: Step = {
      fault: rnd.pick(FAULTS),
      node: rnd.pick(c.nodes),
      forMs: rnd.int(500, 3500),
      delayMs: rnd.int(20, 250),
      signal: rnd.pick(["SIGKILL", "SIGTERM"] as const),
      submit: rnd.int(0, 3),
      pauseMs: rnd.int(400, 1500),
    };
    applyFault(c, step, run, (p) => (coordinatorUp = p));
    // Spread the tasks over the first two thirds of the run so late faults still hit running work.
    await submit(Date.now() < end - opts.durationMs / 3 ? step.submit : opts.tasks);
    await sleep(step.pauseMs);
  }
  await submit(opts.tasks);
  await Promise.all(background);
  await coordinatorUp;
  await healAll(c);
}

function applyFault(
  c: ChaosCluster,
  s: Step,
  run: (key: string, fault: () => Promise<void>) => void,
  setCoordinatorUp: (p: Promise<void>) => void,
): void {
  const n = s.node;
  switch (s.fault) {
    case "kill-node":
      return run(`node:${n.name}`, async () => {
        await c.stopNode(n, "SIGKILL");
        await sleep(s.forMs);
        c.startNode(n);
      });
    case "restart-node":
      return run(`node:${n.name}`, () => c.restartNode(n, "SIGKILL"));
    case "drain-node":
      return run(`node:${n.name}`, async () => {
        await c.stopNode(n, "SIGTERM", 8000);
        c.startNode(n);
      });
    case "restart-coordinator":
      return run("coordinator", () => {
        const p = (async () => {
          await c.stopCoordinator(s.signal);
          await sleep(s.forMs / 3);
          await c.startCoordinator();
        })();
        setCoordinatorUp(p);
        return p;
      });
    case "cut":
    case "stall":
      return run(`link:${n.name}`, async () => {
        c.note(`${s.fault} link ${n.name} for ${s.forMs} ms`);
        if (s.fault === "cut") n.proxy.cut();
        else n.proxy.stall();
        await sleep(s.forMs);
        n.proxy.restore();
        c.note(`restore link ${n.name}`);
      });
    case "delay":
      return run(`link:${n.name}`, async () => {
        c.note(`delay link ${n.name} by ${s.delayMs} ms for ${s.forMs} ms`);
        n.proxy.delay(s.delayMs);
        await sleep(s.forMs);
        n.proxy.restore();
        c.note(`restore link ${n.name}`);
      });
  }
}

/** Every link open, every node daemon running and connected. */
export async function healAll(c: ChaosCluster): Promise<void> {
  for (const n of c.nodes) {
    n.proxy.restore();
    if (!n.proc || !n.proc.running) c.startNode(n);
  }
  c.note("healed: every link open, every node running");
  await c.waitNodesReady(undefined, 30_000);
}
