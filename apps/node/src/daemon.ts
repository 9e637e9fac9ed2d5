// `muster-node start`: load the config, find the agents, and run the session until shutdown.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { AgentCatalog } from "./agents/catalog.js";
import { loadConfig, resolveDataDir } from "./config.js";
import { createNodeTokenSigner } from "./identity/token.js";
import type { Logger } from "./log.js";
import { MemoryOutbox } from "./session/outbox.js";
import { NodeSession } from "./session/session.js";
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
  const versionEnv: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "LANG"]) if (env[name]) versionEnv[name] = env[name]!;
  const agents = await AgentCatalog.detect(config.agents, { pathEnv: env.PATH ?? "", versionEnv });
  log.info(
    { nodeId: config.nodeId, name: config.name, url: config.url, dataDir, capacity: config.capacity, agents: agents.advertised() },
    "node starting",
  );
  const supervisor = new Supervisor({
    capacity: config.capacity,
    dataDir,
    agents,
    passEnv: config.passEnv,
    daemonEnv: env,
    log: log.child({ component: "supervisor" }),
  });
  const session = new NodeSession({
    url: config.url,
    nodeId: config.nodeId,
    capacity: config.capacity,
    labels: config.labels,
    agents: agents.advertised(),
    signToken: await createNodeTokenSigner({
      nodeId: config.nodeId,
      audience: config.audience,
      privateKey: config.privateKey,
    }),
    supervisor,
    outbox: new MemoryOutbox(),
    log: log.child({ component: "session" }),
  });

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
