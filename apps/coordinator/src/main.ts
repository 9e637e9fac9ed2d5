// muster-coordinator: entry point; wiring only.
import { MUSTER_VERSION } from "@muster/protocol";
import { Command, Option } from "commander";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./log.js";
import { rotateSessionKey } from "./auth/session.js";
import { startCoordinator } from "./server.js";
import { TlsError } from "./tls.js";

const program = new Command()
  .name("muster-coordinator")
  .description("The Muster coordinator: HTTP API, node gateway and scheduler")
  .version(MUSTER_VERSION);

program
  .command("start")
  .description("Start the coordinator")
  .addOption(new Option("--host <host>", "address to listen on (env MUSTER_HOST)").default(undefined, "127.0.0.1"))
  .addOption(new Option("--port <port>", "port to listen on (env MUSTER_PORT)").default(undefined, "7391"))
  .addOption(new Option("--data-dir <dir>", "data directory (env MUSTER_DATA_DIR)").default(undefined, "~/.muster/coordinator"))
  .addOption(new Option("--database-url <url>", "Postgres URL instead of the embedded database (env MUSTER_DATABASE_URL)"))
  .addOption(new Option("--heartbeat-interval <duration>", "node heartbeat interval (env MUSTER_HEARTBEAT_INTERVAL)").default(undefined, "5s"))
  .addOption(new Option("--lease <duration>", "node lease (env MUSTER_LEASE)").default(undefined, "15s"))
  .addOption(new Option("--lease-grace <duration>", "grace after a lease lapses (env MUSTER_LEASE_GRACE)").default(undefined, "5s"))
  .addOption(
    new Option("--retry-backoff <duration>", "first retry delay ceiling, doubling per attempt (env MUSTER_RETRY_BACKOFF)").default(
      undefined,
      "500ms",
    ),
  )
  .addOption(
    new Option("--placement-policy <policy>", "default placement policy (env MUSTER_PLACEMENT_POLICY)")
      .choices(["least-loaded", "earliest-idle", "round-robin", "affinity", "spread"])
      .default(undefined, "least-loaded"),
  )
  .addOption(new Option("--affinity-wait <duration>", "how long an affinity task waits for its node (env MUSTER_AFFINITY_WAIT)").default(undefined, "30s"))
  .addOption(
    new Option("--priority-aging <duration>", "a waiting task gains a priority point per this much waiting; 0 turns it off (env MUSTER_PRIORITY_AGING)").default(
      undefined,
      "1m",
    ),
  )
  .addOption(new Option("--daily-budget <usd>", "fleet spend per UTC day after which nothing new is placed (env MUSTER_DAILY_BUDGET)"))
  .addOption(
    new Option("--retry-on <reasons>", "failure reasons re-queued while attempts remain (env MUSTER_RETRY_ON)").default(
      undefined,
      "lost,interrupted,revoked",
    ),
  )
  .addOption(
    new Option("--console-dir <dir>", "the web console's build to serve at / (env MUSTER_CONSOLE_DIR)").default(
      undefined,
      "the installed @muster/console's dist",
    ),
  )
  .addOption(new Option("--tls-cert <file>", "PEM certificate (chain) to serve HTTPS and WSS with; needs --tls-key (env MUSTER_TLS_CERT)"))
  .addOption(new Option("--tls-key <file>", "PEM private key of --tls-cert; both are read again on SIGHUP (env MUSTER_TLS_KEY)"))
  .addOption(
    new Option("--trust-proxy", "believe X-Forwarded-Proto and X-Forwarded-For from the TLS-terminating proxy in front (env MUSTER_TRUST_PROXY)"),
  )
  .addHelpText("after", "\nExample:\n  muster-coordinator start --port 7391 --data-dir /var/lib/muster --daily-budget 50\n")
  .action(async (opts) => {
    let config;
    try {
      config = loadConfig(opts);
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`muster-coordinator: ${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
    const log = createLogger();
    let coordinator;
    try {
      coordinator = await startCoordinator(config, log);
    } catch (err) {
      if (err instanceof TlsError) {
        log.fatal({ reason: err.message }, "coordinator failed to start");
        process.stderr.write(`muster-coordinator: ${err.message}\n`);
        process.exit(2);
      }
      log.fatal({ err }, "coordinator failed to start");
      process.stderr.write(`muster-coordinator: cannot start: ${(err as Error).message}\n`);
      process.exit(1);
    }
    if (coordinator.adminToken.source === "file") log.info({ path: coordinator.adminToken.path }, "admin token file");
    let signals = 0;
    const shutdown = (signal: string) => {
      signals += 1;
      if (signals > 1) process.exit(1);
      log.info({ signal }, "shutting down");
      coordinator.stop().then(
        () => process.exit(0),
        (err) => {
          log.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
    };
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    process.on("SIGINT", () => shutdown("SIGINT"));
    // A renewed certificate is picked up without dropping a connection; without TLS, SIGHUP keeps its default.
    if (config.tlsCert) process.on("SIGHUP", () => void coordinator.reloadTls());
  });

program
  .command("rotate-session-secret")
  .description("Replace the key that signs console sessions; at the next start every console user signs in again")
  .addOption(new Option("--data-dir <dir>", "data directory (env MUSTER_DATA_DIR)").default(undefined, "~/.muster/coordinator"))
  .action((opts: { dataDir?: string }) => {
    const config = loadConfig({ dataDir: opts.dataDir });
    if (config.sessionSecret) {
      process.stderr.write("muster-coordinator: the session secret comes from MUSTER_SESSION_SECRET; change it there\n");
      process.exit(2);
    }
    const path = rotateSessionKey(config.dataDir);
    process.stdout.write(`new session key in ${path}; restart the coordinator to use it (console sessions end)\n`);
  });

program.parseAsync(process.argv).catch((err) => {
  process.stderr.write(`muster-coordinator: ${(err as Error).message}\n`);
  process.exit(1);
});
