// One zod-parsed configuration, from flags then environment then defaults; a bad setting fails at boot.
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseDuration, PlacementPolicy, RetryableReason } from "@muster/protocol";
import { z } from "zod";
import { DEFAULT_LIMITS } from "./auth/limits.js";

/** Force pushes, deploys, deletions and merges. */
export const DEFAULT_PULSE_GATES = [
  String.raw`\bpush\b.*(\s-f\b|--force)`,
  String.raw`\bdeploy`,
  String.raw`\b(rm|delete|drop|destroy)\b`,
  String.raw`\bmerge\b`,
];

function isRegex(text: string): boolean {
  try {
    new RegExp(text, "i");
    return true;
  } catch {
    return false;
  }
}

export const Config = z.object({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(7391),
  dataDir: z.string().min(1),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
  heartbeatIntervalMs: z.number().int().positive().default(5000),
  leaseMs: z.number().int().positive().default(15_000),
  leaseGraceMs: z.number().int().nonnegative().default(5000),
  /** First retry waits up to this long (full jitter), doubling with each attempt up to retryBackoffMaxMs. */
  retryBackoffMs: z.number().int().nonnegative().default(500),
  retryBackoffMaxMs: z.number().int().nonnegative().default(300_000),
  /** Placement policy for tasks that do not name one. */
  placementPolicy: PlacementPolicy.default("least-loaded"),
  /** How long an `affinity` task waits for its preferred node before taking any. */
  affinityWaitMs: z.number().int().nonnegative().default(30_000),
  /** A queued task gains one priority point per this much waiting (0: no aging). */
  priorityAgingMs: z.number().int().nonnegative().default(60_000),
  /** Fleet spend per UTC day (USD) after which nothing new is placed. */
  dailyBudgetUsd: z.number().positive().optional(),
  /** Failure reasons re-queued while attempts remain, for tasks that do not say. */
  retryOn: z.array(RetryableReason).default(["lost", "interrupted", "revoked"]),
  /** Run on every new ask, with the ask as JSON on stdin. */
  notifyCommand: z.string().min(1).optional(),
  /** POSTed every new ask as JSON, signed with `notifySecret`. */
  notifyWebhook: z.url().optional(),
  notifySecret: z.string().min(16, "MUSTER_NOTIFY_SECRET must be at least 16 characters").optional(),
  /** How often the pulse looks at its sensors, decisions and beat. */
  pulseTickMs: z.number().int().positive().default(1000),
  /** A failed beat waits this long, doubling with each failure in a row up to pulseBackoffMaxMs. */
  pulseBackoffMs: z.number().int().positive().default(60_000),
  pulseBackoffMaxMs: z.number().int().positive().default(300_000),
  /** A decide task's time limit. */
  pulseDecideTimeoutMs: z.number().int().positive().default(600_000),
  /** Commands (argv joined by spaces) matching any of these regexes (case-insensitive) wait for a person's approval. */
  pulseGates: z.array(z.string().refine(isRegex, "not a valid regular expression")).default(DEFAULT_PULSE_GATES),
  /** For tests only: exit right after a decision is stored, before its move is carried out. */
  testExitAfterDecided: z.boolean().default(false),
  /** Largest HTTP request body accepted. */
  bodyLimitBytes: z.number().int().positive().default(1024 * 1024),
  adminToken: z.string().min(20, "MUSTER_ADMIN_TOKEN must be at least 20 characters").optional(),
  /** Signs console session cookies; coordinators sharing one database must share it. Unset: `<dataDir>/session.key`. */
  sessionSecret: z.string().min(32, "MUSTER_SESSION_SECRET must be at least 32 characters").optional(),
  /** PEM certificate (chain) and private key files; with both, the coordinator serves HTTPS and WSS. */
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  /** Believe X-Forwarded-Proto and X-Forwarded-For from the TLS-terminating proxy in front. */
  trustProxy: z.boolean().default(false),
  /** The web console's build (index.html and assets/), served at `/`; unset when @muster/console is not installed. */
  consoleDir: z.string().min(1).optional(),
  /** Failed authentications (bad bearer token, sign-in or node token) per client address per window. */
  authFailureLimit: z.number().int().positive().default(DEFAULT_LIMITS.authFailureLimit),
  /** Joins refused for their join key per client address per window. */
  joinFailureLimit: z.number().int().positive().default(DEFAULT_LIMITS.joinFailureLimit),
  failureWindowMs: z.number().int().positive().default(DEFAULT_LIMITS.failureWindowMs),
  /** Live event and log streams one API token may hold open at once. */
  streamsPerToken: z.number().int().positive().default(DEFAULT_LIMITS.streamsPerToken),
  /** Frames from one node waiting to be handled before its socket is paused. */
  nodeFrameQueue: z.number().int().min(2).default(DEFAULT_LIMITS.nodeFrameQueue),
});
export type Config = z.infer<typeof Config>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface ConfigInput {
  host?: string | undefined;
  port?: string | undefined;
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  heartbeatInterval?: string | undefined;
  lease?: string | undefined;
  leaseGrace?: string | undefined;
  retryBackoff?: string | undefined;
  placementPolicy?: string | undefined;
  affinityWait?: string | undefined;
  priorityAging?: string | undefined;
  dailyBudget?: string | undefined;
  retryOn?: string | undefined;
  consoleDir?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  trustProxy?: boolean | undefined;
}

/** The build inside the installed @muster/console package; undefined when the package is not there. */
export function defaultConsoleDir(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve("@muster/console/package.json")), "dist");
  } catch {
    return undefined;
  }
}

function duration(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  try {
    return parseDuration(text);
  } catch (err) {
    throw new ConfigError(`${name}: ${(err as Error).message}`);
  }
}

/** "0" or "off" turns aging off. */
function aging(text: string | undefined): number | undefined {
  if (text === "0" || text === "off") return 0;
  return duration("priority aging", text);
}

function money(text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  const n = Number(text.replace(/^\$/, ""));
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`daily budget: "${text}" is not an amount of USD`);
  return n;
}

function count(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new ConfigError(`${name}: "${text}" is not a whole number`);
  return n;
}

function list(text: string | undefined): string[] | undefined {
  return text === undefined || text === "" ? undefined : text.split(",").map((s) => s.trim()).filter(Boolean);
}

function consoleDir(text: string | undefined): string | undefined {
  return text === undefined || text === "" ? defaultConsoleDir() : resolve(text);
}

function filePath(text: string | undefined): string | undefined {
  return text === undefined || text === "" ? undefined : resolve(text);
}

function yesNo(name: string, text: string | undefined): boolean | undefined {
  if (text === undefined || text === "") return undefined;
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw new ConfigError(`${name}: "${text}" is not true or false`);
}

export function loadConfig(flags: ConfigInput, env: NodeJS.ProcessEnv = process.env): Config {
  const pick = (flag: string | undefined, envName: string) => (flag !== undefined ? flag : env[envName] || undefined);
  const raw = {
    host: pick(flags.host, "MUSTER_HOST"),
    port: pick(flags.port, "MUSTER_PORT"),
    dataDir: resolve(pick(flags.dataDir, "MUSTER_DATA_DIR") ?? `${homedir()}/.muster/coordinator`),
    databaseUrl: pick(flags.databaseUrl, "MUSTER_DATABASE_URL"),
    heartbeatIntervalMs: duration("heartbeat interval", pick(flags.heartbeatInterval, "MUSTER_HEARTBEAT_INTERVAL")),
    leaseMs: duration("lease", pick(flags.lease, "MUSTER_LEASE")),
    leaseGraceMs: duration("lease grace", pick(flags.leaseGrace, "MUSTER_LEASE_GRACE")),
    retryBackoffMs: duration("retry backoff", pick(flags.retryBackoff, "MUSTER_RETRY_BACKOFF")),
    adminToken: env.MUSTER_ADMIN_TOKEN || undefined,
    sessionSecret: env.MUSTER_SESSION_SECRET || undefined,
    tlsCert: filePath(pick(flags.tlsCert, "MUSTER_TLS_CERT")),
    tlsKey: filePath(pick(flags.tlsKey, "MUSTER_TLS_KEY")),
    trustProxy: flags.trustProxy ?? yesNo("MUSTER_TRUST_PROXY", env.MUSTER_TRUST_PROXY),
    placementPolicy: pick(flags.placementPolicy, "MUSTER_PLACEMENT_POLICY"),
    affinityWaitMs: duration("affinity wait", pick(flags.affinityWait, "MUSTER_AFFINITY_WAIT")),
    priorityAgingMs: aging(pick(flags.priorityAging, "MUSTER_PRIORITY_AGING")),
    dailyBudgetUsd: money(pick(flags.dailyBudget, "MUSTER_DAILY_BUDGET")),
    retryOn: list(pick(flags.retryOn, "MUSTER_RETRY_ON")),
    notifyCommand: env.MUSTER_NOTIFY_COMMAND || undefined,
    notifyWebhook: env.MUSTER_NOTIFY_WEBHOOK || undefined,
    notifySecret: env.MUSTER_NOTIFY_SECRET || undefined,
    consoleDir: consoleDir(pick(flags.consoleDir, "MUSTER_CONSOLE_DIR")),
    authFailureLimit: count("MUSTER_AUTH_FAILURE_LIMIT", env.MUSTER_AUTH_FAILURE_LIMIT),
    joinFailureLimit: count("MUSTER_JOIN_FAILURE_LIMIT", env.MUSTER_JOIN_FAILURE_LIMIT),
    pulseTickMs: duration("pulse tick", env.MUSTER_PULSE_TICK),
    pulseBackoffMs: duration("pulse backoff", env.MUSTER_PULSE_BACKOFF),
    pulseBackoffMaxMs: duration("pulse backoff max", env.MUSTER_PULSE_BACKOFF_MAX),
    pulseDecideTimeoutMs: duration("pulse decide timeout", env.MUSTER_PULSE_DECIDE_TIMEOUT),
    // Regular expressions may hold commas, so the list is one per line.
    pulseGates: env.MUSTER_PULSE_GATES ? env.MUSTER_PULSE_GATES.split("\n").map((g) => g.trim()).filter(Boolean) : undefined,
    testExitAfterDecided: env.MUSTER_TEST_PULSE_EXIT_AFTER_DECIDED === "1",
    failureWindowMs: duration("failure window", env.MUSTER_FAILURE_WINDOW),
    streamsPerToken: count("MUSTER_STREAMS_PER_TOKEN", env.MUSTER_STREAMS_PER_TOKEN),
    nodeFrameQueue: count("MUSTER_NODE_FRAME_QUEUE", env.MUSTER_NODE_FRAME_QUEUE),
  };
  const parsed = Config.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid setting ${issue.path.join(".")}: ${issue.message}`);
  }
  const cfg = parsed.data;
  if (cfg.heartbeatIntervalMs >= cfg.leaseMs)
    throw new ConfigError("the heartbeat interval must be shorter than the lease");
  if ((cfg.tlsCert === undefined) !== (cfg.tlsKey === undefined))
    throw new ConfigError("TLS needs both a certificate and a key: give --tls-cert and --tls-key (or MUSTER_TLS_CERT and MUSTER_TLS_KEY) together");
  return cfg;
}
