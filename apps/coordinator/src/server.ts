// Wires the coordinator: store, auth bootstrap, HTTP API, node gateway, scheduler.
import type { Server } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { serve } from "@hono/node-server";
import { eq } from "drizzle-orm";
import { createLimits } from "./auth/limits.js";
import { pruneJwtIds } from "./auth/node-jwt.js";
import { bootstrapAdminToken, type AdminTokenSource } from "./auth/tokens.js";
import { systemClock, type Clock } from "./clock.js";
import type { Config } from "./config.js";
import { toAskView, type AskRow } from "./asks/asks.js";
import { AskNotifier } from "./asks/notify.js";
import { EventBus } from "./events/bus.js";
import { EventFeed } from "./events/feed.js";
import { Journal } from "./events/journal.js";
import { loadSessionKey } from "./auth/session.js";
import type { RetryPolicy } from "./claims/retry.js";
import { compileGates } from "./pulse/gates.js";
import { Pulse, STALE_NOOP_MS } from "./pulse/pulse.js";
import { LeaseWriter } from "./reconciler/lease-writer.js";
import { LeaseSweeper, type SweepResult } from "./reconciler/sweeper.js";
import { Gateway } from "./gateway/gateway.js";
import { createApp } from "./http/app.js";
import type { Logger } from "./log.js";
import { Scheduler } from "./scheduler/scheduler.js";
import { openStore, type Db } from "./store/db.js";
import { lockDirectory } from "./store/dir-lock.js";
import { settings } from "./store/schema.js";
import { loadTlsPair, TlsReloader } from "./tls.js";

export interface Coordinator {
  url: string;
  port: number;
  adminToken: { token: string | null; path: string | null; source: AdminTokenSource };
  /** Reads the TLS certificate and key again (SIGHUP); false when the new pair was refused or there is no TLS. */
  reloadTls(): Promise<boolean>;
  stop(): Promise<void>;
}

/** The fleet's id, made once; nodes put it in their JWTs' `aud`. */
async function fleetId(db: Db): Promise<string> {
  await db.insert(settings).values({ key: "fleet_id", value: `muster:${randomUUID()}` }).onConflictDoNothing();
  const [row] = await db.select().from(settings).where(eq(settings.key, "fleet_id"));
  return row!.value;
}

export async function startCoordinator(config: Config, log: Logger, clock: Clock = systemClock): Promise<Coordinator> {
  // Before the database: a certificate that cannot be used is one line, not a half-started coordinator.
  const tlsFiles = config.tlsCert && config.tlsKey ? { certPath: config.tlsCert, keyPath: config.tlsKey } : null;
  const tlsPair = tlsFiles ? await loadTlsPair(tlsFiles) : null;
  // One coordinator per data directory: PGlite is single-process, and the admin token file is per directory.
  const dirLock = lockDirectory(config.dataDir);
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }).catch((err: unknown) => {
    dirLock.release();
    throw err;
  });
  const { db } = store;
  log.info({ database: store.kind, dataDir: config.dataDir }, "database ready");
  const audience = await fleetId(db);
  const adminToken = await bootstrapAdminToken(db, { dataDir: config.dataDir, envToken: config.adminToken, log });
  const bus = new EventBus();
  const journal = new Journal(log, bus);
  const feed = new EventFeed(bus);
  const policy: RetryPolicy = {
    backoffMs: config.retryBackoffMs,
    backoffMaxMs: config.retryBackoffMaxMs,
    retryOn: config.retryOn,
  };
  let gateway: Gateway | null = null;
  const scheduler = new Scheduler({
    db,
    log: log.child({ component: "scheduler" }),
    clock,
    journal,
    leaseMs: config.leaseMs,
    targets: () => gateway?.targets() ?? [],
    policy: config.placementPolicy,
    affinityWaitMs: config.affinityWaitMs,
    priorityAgingMs: config.priorityAgingMs,
    dailyBudgetUsd: config.dailyBudgetUsd,
  });
  const sweeper = new LeaseSweeper({
    db,
    clock,
    log: log.child({ component: "sweeper" }),
    leaseMs: config.leaseMs,
    leaseGraceMs: config.leaseGraceMs,
    policy,
    onSweep: (result: SweepResult) => {
      for (const nodeId of result.lost) journal.nodeState(nodeId, "lost");
      for (const e of result.expired) {
        const { id: claimId, token, nodeId } = e.claim;
        journal.expired({ taskId: e.taskId, claimId, token, nodeId }, "lost");
        journal.taskState(e.taskId, e.state, null);
      }
      if (result.lost.length) log.warn({ nodes: result.lost }, "nodes lost: lease lapsed");
      if (result.expired.length)
        log.warn({ claims: result.expired.map((e) => e.claim.id) }, "claims expired: node lease and grace lapsed");
      // Queued tasks may now go elsewhere, and their explanations change with the fleet.
      void scheduler.request("lease sweep");
    },
  });
  const notifier = new AskNotifier(
    { command: config.notifyCommand, webhook: config.notifyWebhook, secret: config.notifySecret },
    log.child({ component: "notify" }),
  );
  const onAsks = (rows: AskRow[]) => {
    for (const row of rows) {
      journal.ask({ askId: row.id, taskId: row.taskId, claimId: row.claimId, state: row.state });
      if (notifier.enabled) void notifier.notify(toAskView(row, null));
    }
  };
  const limits = createLimits(config, clock);
  gateway = new Gateway({
    limits,
    trustProxy: config.trustProxy,
    db,
    log: log.child({ component: "gateway" }),
    clock,
    journal,
    leases: new LeaseWriter(db),
    policy,
    onAsks,
    scheduler,
    audience,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    leaseMs: config.leaseMs,
    leaseGraceMs: config.leaseGraceMs,
  });
  const pulse = new Pulse({
    db,
    log: log.child({ component: "pulse" }),
    clock,
    history: journal,
    scheduler,
    gateway,
    tickMs: config.pulseTickMs,
    backoffMs: config.pulseBackoffMs,
    backoffMaxMs: config.pulseBackoffMaxMs,
    decideTimeoutMs: config.pulseDecideTimeoutMs,
    staleNoopMs: STALE_NOOP_MS,
    gates: compileGates(config.pulseGates),
    exitAfterDecided: config.testExitAfterDecided,
  });
  const app = createApp({
    pulse,
    db,
    dbKind: store.kind,
    log,
    clock,
    bus,
    journal,
    policy,
    scheduler,
    gateway,
    audience,
    startedAt: new Date(clock.now()),
    bodyLimitBytes: config.bodyLimitBytes,
    dailyBudgetUsd: config.dailyBudgetUsd,
    feed,
    limits,
    sessionKey: await loadSessionKey(db, {
      dataDir: config.dataDir,
      envSecret: config.sessionSecret,
      sharedDatabase: store.kind === "postgres",
      log,
    }),
    consoleDir: config.consoleDir,
    trustProxy: config.trustProxy,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const secure = tlsPair ? { createServer: createHttpsServer, serverOptions: { cert: tlsPair.cert, key: tlsPair.key } } : {};
    const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port, ...secure }, () => resolve(s as Server));
    (s as Server).once("error", reject);
  });
  gateway.attach(server);
  const prune = setInterval(() => {
    pruneJwtIds(db, clock).catch((err) => log.warn({ err }, "pruning node token ids failed"));
  }, 60_000);
  prune.unref();
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `${tlsPair ? "https" : "http"}://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
  const tls = tlsFiles && tlsPair ? new TlsReloader(tlsFiles, server as unknown as HttpsServer, log.child({ component: "tls" })) : null;
  if (tls && tlsPair) tls.logServing(tlsPair);
  log.info({ url, audience }, "coordinator listening");
  void scheduler.request("coordinator started");
  sweeper.start();
  await pulse.start();

  let stopping: Promise<void> | null = null;
  return {
    url,
    port,
    adminToken,
    reloadTls: async () => (tls ? tls.reload() : false),
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(prune);
        sweeper.stop();
        pulse.stop();
        scheduler.stop();
        await gateway.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections?.();
        });
        await store.close();
        dirLock.release();
        log.info("coordinator stopped");
      })()),
  };
}
