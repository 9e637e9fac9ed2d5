// The coordinator's pino logger; secrets never reach a log line.
import pino, { type Logger } from "pino";

export type { Logger };

export const REDACT_PATHS = [
  "token",
  "key",
  "secret",
  "authorization",
  "*.token",
  "*.key",
  "*.secret",
  "*.authorization",
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
