// What every route handler can reach, and the small helpers they share.
import type { Role } from "@muster/protocol";
import type { Context } from "hono";
import type { z } from "zod";
import type { Limits } from "../auth/limits.js";
import { clientOf } from "./client-address.js";
import type { Identity } from "../auth/tokens.js";
import { hasRole } from "../auth/tokens.js";
import type { Clock } from "../clock.js";
import { MusterError } from "../errors.js";
import type { EventBus } from "../events/bus.js";
import type { EventFeed } from "../events/feed.js";
import type { Journal } from "../events/journal.js";
import type { RetryPolicy } from "../claims/retry.js";
import type { Gateway } from "../gateway/gateway.js";
import type { Logger } from "../log.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import type { Db } from "../store/db.js";

export interface AppDeps {
  db: Db;
  dbKind: "pglite" | "postgres";
  log: Logger;
  clock: Clock;
  bus: EventBus;
  journal: Journal;
  policy: RetryPolicy;
  scheduler: Scheduler;
  gateway: Gateway;
  audience: string;
  startedAt: Date;
  bodyLimitBytes: number;
  dailyBudgetUsd?: number | undefined;
  feed: EventFeed;
  sessionKey: Uint8Array;
  /** The pulse this coordinator runs a tick of on request (a beat, a resume); absent in route tests. */
  pulse?: { tickNow(): Promise<void> } | undefined;
  /** The web console's build, served at `/`; unset answers 503 there. */
  consoleDir?: string | undefined;
  /** Believe X-Forwarded-Proto/-For from the proxy in front (see clientOf in client-address.ts). */
  trustProxy?: boolean | undefined;
  limits: Limits;
}

export type Env = { Variables: { identity: Identity } };

/** The address the limits count against: the peer's, or with trust-proxy the one the proxy vouches for. */
export function clientAddress(c: Context, deps: Pick<AppDeps, "trustProxy">): string {
  return clientOf(c, deps.trustProxy ?? false).address;
}

export function describeIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}

/** Parses and validates a JSON body; with `allowEmpty`, no body at all reads as `{}`. */
export async function readJson<T extends z.ZodType>(c: Context, schema: T, opts: { allowEmpty?: boolean } = {}): Promise<z.infer<T>> {
  let body: unknown;
  const text = await c.req.text();
  try {
    body = opts.allowEmpty && text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw new MusterError("bad_request", "request body must be a JSON document");
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new MusterError("validation_failed", describeIssues(parsed.error), parsed.error.issues);
  return parsed.data;
}

export function readQuery<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw new MusterError("validation_failed", describeIssues(parsed.error), parsed.error.issues);
  return parsed.data;
}

export function requireRole(c: Context<Env>, role: Role): Identity {
  const identity = c.get("identity");
  if (!hasRole(identity, role)) throw new MusterError("forbidden", `this needs the ${role} role; your token has ${identity.role}`);
  return identity;
}
