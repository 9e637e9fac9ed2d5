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
  "*.secret",
  "*.authorization",
  "*.adminToken",
  "*.apiToken",
  "*.joinKey",
  "*.privateKey",
  "*.password",
  "req.headers.authorization",
  "headers.authorization",
];

export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const level = opts.level ?? process.env.MUSTER_LOG_LEVEL ?? "info";
  const pretty = opts.pretty ?? (process.stdout.isTTY && process.env.MUSTER_LOG_FORMAT !== "json");
  return pino({
    level,
    base: { service: "coordinator" },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    ...(pretty ? { transport: { target: "pino-pretty", options: { colorize: true, ignore: "pid,hostname,service" } } } : {}),
  });
}
