// One pino root logger for the daemon; components take a child of it (`log.child({ component })`).
import pino, { type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

export type { Logger };

/** Fields that may hold a secret wherever they appear in a log line. */
export const REDACT_PATHS = [
  "privateKey",
  "*.privateKey",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "key",
  "*.key",
  "jwt",
  "*.jwt",
  "d",
  "*.d",
  "secret",
  "*.secret",
  "MUSTER_ASK_SECRET",
  "*.MUSTER_ASK_SECRET",
];

export interface LoggerOptions {
  level?: string;
  /** Human-readable lines; the default is JSON unless stderr is a terminal. */
  pretty?: boolean;
  destination?: DestinationStream;
}

/** Logs go to stderr so that a command's stdout stays for its output. */
export function createLogger({
  level = process.env.MUSTER_LOG_LEVEL ?? "info",
  pretty: wantPretty = process.stderr.isTTY === true,
  destination,
}: LoggerOptions = {}): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, base: { pid: process.pid } };
  if (destination) return pino(options, destination);
  if (wantPretty) return pino(options, pretty({ destination: 2, sync: true }));
  return pino(options, pino.destination({ dest: 2, sync: true }));
}

/** A logger that drops everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
