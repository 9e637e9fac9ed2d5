// Test support: the HTTP app on a test database, in process, with an admin token and no node gateway listening.
import pino from "pino";
import type { Hono } from "hono";
import { createLimits, DEFAULT_LIMITS } from "../auth/limits.js";
import { bootstrapAdminToken } from "../auth/tokens.js";
import { keyFromSecret } from "../auth/session.js";
import type { RetryPolicy } from "../claims/retry.js";
import { systemClock } from "../clock.js";
import { EventBus } from "../events/bus.js";
import { EventFeed } from "../events/feed.js";
import { Journal } from "../events/journal.js";
import { Gateway } from "../gateway/gateway.js";
import { LeaseWriter } from "../reconciler/lease-writer.js";
import { Scheduler } from "../scheduler/scheduler.js";
import type { Store } from "../store/db.js";
import { createApp } from "./app.js";
import type { Env } from "./context.js";

export const TEST_ADMIN_TOKEN = "mat_testadmin_0123456789abcdefghijklmnop";

export interface TestApp {
  app: Hono<Env>;
  /** A request as the admin (bearer token), path relative to the app. */
  api(path: string, init?: RequestInit): Promise<Response>;
}

export async function createTestApp(store: Store, opts: { consoleDir?: string | undefined } = {}): Promise<TestApp> {
  const { db } = store;
  const log = pino({ level: "silent" });
  const clock = systemClock;
  const bus = new EventBus();
  const journal = new Journal(log, bus);
  const policy: RetryPolicy = { backoffMs: 500, backoffMaxMs: 300_000, retryOn: ["lost", "interrupted", "revoked"] };
  const scheduler = new Scheduler({
    db,
    log,
    clock,
    journal,
    leaseMs: 15_000,
    targets: () => [],
    policy: "least-loaded",
    affinityWaitMs: 30_000,
    priorityAgingMs: 60_000,
  });
  // No placement passes: tests set task states themselves, and a pass must not race the database's disposal.
  scheduler.stop();
  const limits = createLimits(DEFAULT_LIMITS, clock);
  const gateway = new Gateway({
    limits,
    db,
    log,
    clock,
    journal,
    leases: new LeaseWriter(db),
    policy,
    onAsks: () => {},
    scheduler,
    audience: "muster:test",
    heartbeatIntervalMs: 5000,
    leaseMs: 15_000,
    leaseGraceMs: 5000,
  });
  await bootstrapAdminToken(db, { dataDir: "/nonexistent", envToken: TEST_ADMIN_TOKEN, log });
  const app = createApp({
    db,
    dbKind: store.kind,
    log,
    clock,
    bus,
    journal,
    policy,
    scheduler,
    gateway,
    audience: "muster:test",
    startedAt: new Date(clock.now()),
    bodyLimitBytes: 1024 * 1024,
    feed: new EventFeed(bus),
    sessionKey: keyFromSecret("in-process test session secret"),
    consoleDir: opts.consoleDir,
    limits,
  });
  return {
    app,
    api: (path, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${TEST_ADMIN_TOKEN}`);
      if (init.body !== undefined) headers.set("content-type", "application/json");
      return Promise.resolve(app.request(path, { ...init, headers }));
    },
  };
}
