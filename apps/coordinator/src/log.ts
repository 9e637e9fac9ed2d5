// The coordinator's pino logger; secrets never reach a log line.
import pino, { type Logger } from "pino";

export type { Logger };

/**
 * Fields that may hold a secret. `token` is not among them: in Muster it names a claim's fencing token, a number
 * that operators and the history need to read.
 */
export const REDACT_PATHS = [
  "secret",
  "authorization",
  "adminToken",
  "apiToken",
  "joinKey",
  "privateKey",
  "password",
  "sessionSecret",
  "*.secret",
  "*.authorization",
  "*.adminToken",
  "*.apiToken",
  "*.joinKey",
  "*.privateKey",
  "*.password",
  "*.sessionSecret",
  "req.headers.authorization",
  "headers.authorization",
];

/** The first error in `err`'s cause chain that carries a failed SQL statement (drizzle's and the drivers' do). */
function failedQuery(err: unknown): Error | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth += 1)
    if ("query" in e || "params" in e || "parameters" in e) return e;
  return undefined;
}

/**
 * Errors as log fields. A failed query's message, stack and fields hold the statement's parameters (record text,
 * prompts, answers), so only the driver's own message and SQLSTATE code are kept for it.
 */
export function serializeError(err: unknown): unknown {
  const failed = failedQuery(err);
  if (!failed) return pino.stdSerializers.err(err as Error);
  let driver: unknown = failed.cause;
  while (driver instanceof Error && failedQuery(driver) === driver && driver.cause instanceof Error) driver = driver.cause;
  const code = driver instanceof Error && "code" in driver ? String((driver as { code: unknown }).code) : undefined;
  // The driver's message names the problem ("value out of range for type integer"), never the statement.
  const reason = driver instanceof Error && driver !== failed ? driver.message : "database query failed";
  const top = err as Error;
  return {
    type: top.constructor.name || top.name,
    message: top === failed ? reason : `${top.message}: ${reason}`,
    ...(code ? { code } : {}),
  };
}

export const LOG_SERIALIZERS = { err: serializeError };

export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const level = opts.level ?? process.env.MUSTER_LOG_LEVEL ?? "info";
  const pretty = opts.pretty ?? (process.stdout.isTTY && process.env.MUSTER_LOG_FORMAT !== "json");
  return pino({
    level,
    base: { service: "coordinator" },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    serializers: LOG_SERIALIZERS,
    ...(pretty ? { transport: { target: "pino-pretty", options: { colorize: true, ignore: "pid,hostname,service" } } } : {}),
  });
}
