// `muster-node start`: load the config, take back what a previous daemon left, find the agents, start the
// watchdog, and run the session until shutdown.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { AgentCatalog } from "./agents/catalog.js";
import { loadConfig, resolveDataDir, type NodeConfig } from "./config.js";
import { createNodeTokenSigner } from "./identity/token.js";
import type { Logger } from "./log.js";
import { DiskOutbox } from "./session/outbox.js";
import { NodeSession } from "./session/session.js";
import { Reaper } from "./supervisor/reaper.js";
import { recoverClaims } from "./supervisor/recovery.js";
import { Supervisor } from "./supervisor/supervisor.js";

export interface DaemonOptions {
  configPath: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Where SIGTERM/SIGINT come from; a test can hand in an emitter. */
  signals?: Pick<NodeJS.Process, "on" | "off">;
}

/** Runs the daemon; resolves with its exit code. A bad config throws ConfigError before anything starts. */
export async function runDaemon({ configPath, env, log, signals = process }: DaemonOptions): Promise<number> {
  const config = await loadConfig(configPath);
  const dataDir = resolveDataDir(config, env);
  await mkdir(join(dataDir, "work"), { recursive: true });
  // Before connecting: the hello must already list what the previous daemon held, with its workers dead.
  const { outbox, stored } = DiskOutbox.open(join(dataDir, "claims"), log.child({ component: "outbox" }));
  const restored = await recoverClaims(stored, { journal: outbox, log: log.child({ component: "recovery" }) });
  const reaper = Reaper.start({ log: log.child({ component: "reaper" }) });
  try {
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
    });
    supervisor.restore(restored);
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
    });
    return await runUntilShutdown(session, signals, log);
  } finally {
    await reaper.close();
    outbox.close();
  }
}

async function detectAgents(config: NodeConfig, env: NodeJS.ProcessEnv): Promise<AgentCatalog> {
  const versionEnv: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "LANG"]) if (env[name]) versionEnv[name] = env[name]!;
  return AgentCatalog.detect(config.agents, { pathEnv: env.PATH ?? "", versionEnv });
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
    return end.exitCode;
  } finally {
    signals.off("SIGTERM", onSignal);
    signals.off("SIGINT", onSignal);
  }
}
