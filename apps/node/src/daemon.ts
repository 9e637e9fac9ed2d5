// `muster-node start`: load the config, take back what a previous daemon left, find the agents, start the
// watchdog, and run the session until shutdown.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parseDuration, type SandboxMode } from "@muster/protocol";
import { AgentCatalog } from "./agents/catalog.js";
import { prepareMusterBin } from "./asks/cli-bin.js";
import { AskHub } from "./asks/hub.js";
import { loadConfig, resolveDataDir, resolveSandboxMode, type NodeConfig } from "./config.js";
import { lockDirectory } from "./dir-lock.js";
import { NodeCommandError } from "./errors.js";
import { createNodeTokenSigner } from "./identity/token.js";
import type { Logger } from "./log.js";
import { DiskOutbox } from "./session/outbox.js";
import { NodeSession } from "./session/session.js";
import { startSandbox } from "./sandbox/start.js";
import { Reaper } from "./supervisor/reaper.js";
import { recoverClaims } from "./supervisor/recovery.js";
import { Supervisor } from "./supervisor/supervisor.js";
import { Workspaces } from "./workspace/workspaces.js";

export interface DaemonOptions {
  configPath: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Where SIGTERM/SIGINT come from; a test can hand in an emitter. */
  signals?: Pick<NodeJS.Process, "on" | "off">;
  /** Where lines meant for the person who started the daemon go. */
  stderr?: Pick<NodeJS.WritableStream, "write">;
  /** `muster-node start --sandbox`; beats MUSTER_NODE_SANDBOX and the config. */
  sandbox?: string;
}

/** Runs the daemon; resolves with its exit code. A bad config throws ConfigError before anything starts. */
export async function runDaemon({ configPath, env, log, signals = process, stderr = process.stderr, sandbox: sandboxFlag }: DaemonOptions): Promise<number> {
  const config = await loadConfig(configPath);
  const sandboxMode: SandboxMode | undefined = resolveSandboxMode(config, sandboxFlag, env);
  const dataDir = resolveDataDir(config, env);
  // One daemon per data directory, before anything in it is touched: recovery would kill another daemon's workers.
  const dirLock = lockDirectory(dataDir);
  await mkdir(join(dataDir, "work"), { recursive: true });
  // Before connecting: the hello must already list what the previous daemon held, with its workers dead.
  const claimsDir = join(dataDir, "claims");
  const { outbox, stored } = DiskOutbox.open(claimsDir, log.child({ component: "outbox" }));
  const restored = await recoverClaims(stored, { journal: outbox, log: log.child({ component: "recovery" }) });
  const reaper = Reaper.start({ log: log.child({ component: "reaper" }) });
  const asks = new AskHub({ dataDir, claimDir: (claimId) => join(claimsDir, claimId), log: log.child({ component: "asks" }) });
  const workspaces = new Workspaces({
    dataDir,
    policy: { keepSucceeded: config.workspaces.keepSucceeded, keepFailedForMs: parseDuration(config.workspaces.keepFailedFor) },
    log: log.child({ component: "workspaces" }),
  });
  let stopPruning = () => {};
  try {
    const musterBinDir = findMusterBin(config, dataDir, log);
    const sandbox = await startSandbox({
      configured: sandboxMode,
      network: config.network,
      userName: config.sandboxUser,
      dataDir,
      configPath,
      musterBinDir,
      env,
      log,
    });
    const agents = await detectAgents(config, env);
    log.info(
      { nodeId: config.nodeId, name: config.name, url: config.url, dataDir, capacity: config.capacity, agents: agents.advertised(), restored: restored.length },
      "node starting",
    );
    const supervisor = new Supervisor({
      capacity: config.capacity,
      dataDir,
      agents,
      passEnv: config.passEnv,
      daemonEnv: env,
      log: log.child({ component: "supervisor" }),
      journal: outbox,
      watchdog: reaper,
      asks,
      endpoints: asks,
      musterBinDir,
      workspaces,
      sandbox,
    });
    supervisor.restore(restored);
    // After restore, so the worktrees of claims still waiting for their results' acks are held.
    stopPruning = workspaces.schedulePruning(() => supervisor.workdirs());
    const session = new NodeSession({
      url: config.url,
      nodeId: config.nodeId,
      capacity: config.capacity,
      labels: config.labels,
      agents: agents.advertised(),
      signToken: await createNodeTokenSigner({ nodeId: config.nodeId, audience: config.audience, privateKey: config.privateKey }),
      supervisor,
      outbox,
      log: log.child({ component: "session" }),
      caFile: config.ca,
      replies: asks,
      sandbox: { mode: sandbox.mode, network: sandbox.network },
    });
    const code = await runUntilShutdown(session, signals, log);
    // Started again, a drained node exits at once until an operator takes it back: say how, where a person reads.
    if (session.drainedByCoordinator)
      stderr.write(`muster-node: the coordinator drained this node; to take it back into service run: muster nodes uncordon ${config.name}\n`);
    return code;
  } finally {
    stopPruning();
    await asks.closeAll();
    await reaper.close();
    outbox.close();
    dirLock.release();
  }
}

/** Workers without the CLI still run; only `muster ask` inside them fails, so this warns instead of refusing to start. */
function findMusterBin(config: NodeConfig, dataDir: string, log: Logger): string | null {
  try {
    const dir = prepareMusterBin({ configured: config.musterBin, binDir: join(dataDir, "bin") });
    if (dir === null) log.warn("no muster CLI found; workers cannot run muster ask (set musterBin in the node config)");
    return dir;
  } catch (err) {
    log.warn({ err, musterBin: config.musterBin }, "cannot use the configured muster CLI; workers cannot run muster ask");
    return null;
  }
}

async function detectAgents(config: NodeConfig, env: NodeJS.ProcessEnv): Promise<AgentCatalog> {
  const versionEnv: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "LANG"]) if (env[name]) versionEnv[name] = env[name]!;
  return AgentCatalog.detect(config.agents, { pathEnv: env.PATH ?? "", versionEnv, approvalTimeoutMs: parseDuration(config.approvals.timeout) });
}

/** First SIGTERM/SIGINT drains; a second stops the workers. */
async function runUntilShutdown(session: NodeSession, signals: Pick<NodeJS.Process, "on" | "off">, log: Logger): Promise<number> {
  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signalled += 1;
    log.info({ signal }, signalled === 1 ? "shutting down once running claims finish" : "stopping workers now");
    if (signalled === 1) session.drain();
    else session.stopWorkers();
  };
  signals.on("SIGTERM", onSignal);
  signals.on("SIGINT", onSignal);
  try {
    const end = await session.run();
    // One line for the person who started the daemon: why the coordinator cannot be used.
    if (end.exitCode !== 0) throw new NodeCommandError(end.message, end.code, end.exitCode);
    return end.exitCode;
  } finally {
    signals.off("SIGTERM", onSignal);
    signals.off("SIGINT", onSignal);
  }
}
