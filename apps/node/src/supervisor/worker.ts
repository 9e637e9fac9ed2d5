// One worker process: leader of its own process group, output streamed as records, a time limit, a group kill.
import { execa, type ResultPromise } from "execa";
import type { ClaimRecord } from "@muster/protocol";
import type { AgentOutputParser, ParsedRecord, ProcessEnd } from "../agents/parsers/index.js";
import { LineAssembler } from "./lines.js";
import type { BudgetCrossing, StopCause, WorkerEnd } from "./outcome.js";

/** Time between SIGTERM and SIGKILL when the node stops a worker. */
export const KILL_GRACE_MS = 5000;
/** Characters per log record; keeps any one record far below the 1 MiB frame limit. */
export const MAX_LOG_TEXT = 16 * 1024;

type RecordBody =
  | { kind: "started"; pid: number | null; command: string[]; workdir: string }
  | { kind: "log"; stream: "stdout" | "stderr"; text: string }
  | ParsedRecord;

export interface WorkerOptions {
  command: readonly string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Gets each record stamped with its per-claim seq, `started` first. */
  onRecord(record: ClaimRecord): void;
  killGraceMs?: number;
  /** Reads stdout lines into records, each after the log record that completes its line; the raw output stays. */
  parser?: AgentOutputParser;
  /** Stop the worker (reason budget) once a parsed cost record's running total crosses this (USD). */
  maxCostUsd?: number | null;
  firstSeq?: number;
  now?: () => number;
  maxLogText?: number;
}

export interface Worker {
  readonly pid: number | undefined;
  /** SIGTERM to the whole group, SIGKILL after the grace (`graceMs` overrides it); later calls are ignored. */
  stop(cause: StopCause, graceMs?: number): void;
  /** Settles once the process has ended and its output is drained; never rejects. */
  readonly ended: Promise<WorkerEnd>;
}

/** Signals every process in the group led by `pid`; false when none is left. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Splits text into pieces of at most `max` UTF-16 units without cutting a surrogate pair in two. */
export function splitText(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + max, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff && end - 1 > start) end -= 1;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}

/** The command as the `started` record shows it; a huge argv is cut so the record fits in a frame. */
function recordedCommand(command: readonly string[]): string[] {
  const shown = command.slice(0, 200).map((a) => (a.length > 1024 ? `${a.slice(0, 1024)}…` : a));
  if (command.length > shown.length) shown.push(`… ${command.length - shown.length} more arguments`);
  return shown;
}

interface OutputSinks {
  emit(body: RecordBody): void;
  maxLogText: number;
  parser: AgentOutputParser | undefined;
  costReported(usd: number): void;
}

/**
 * Turns both streams into log records and, with a parser, stdout lines into parsed records. Returns what
 * to call once the output has ended: a last line without a newline is parsed then.
 */
function recordOutput(child: ResultPromise, { emit, maxLogText, parser, costReported }: OutputSinks): (how: ProcessEnd) => void {
  const lines = new LineAssembler();
  const emitParsed = (records: ParsedRecord[]) => {
    for (const record of records) {
      emit(record);
      if (record.kind === "cost") costReported(record.usd);
    }
  };
  for (const stream of ["stdout", "stderr"] as const) {
    const readable = child[stream];
    readable?.setEncoding("utf8");
    readable?.on("data", (text: string) => {
      for (const part of splitText(text, maxLogText)) emit({ kind: "log", stream, text: part });
      if (stream === "stdout" && parser) for (const line of lines.push(text)) emitParsed(parser.line(line));
    });
  }
  return (how) => {
    if (!parser) return;
    const rest = lines.flush();
    if (rest !== null) emitParsed(parser.line(rest));
    emitParsed(parser.end(how));
  };
}

function spawnInGroup(command: readonly string[], cwd: string, env: Record<string, string>): ResultPromise {
  const [file, ...args] = command;
  return execa(file ?? "", args, {
    cwd,
    env,
    extendEnv: false,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    buffer: false,
    reject: false,
    // Leader of its own process group, so one kill(-pid) reaches everything it started.
    detached: true,
    windowsHide: true,
  });
}

export function startWorker(opts: WorkerOptions): Worker {
  const { command, cwd, env, timeoutMs, onRecord, parser, maxCostUsd = null } = opts;
  const { killGraceMs = KILL_GRACE_MS, now = Date.now, maxLogText = MAX_LOG_TEXT } = opts;
  let seq = (opts.firstSeq ?? 1) - 1;
  const emit = (body: RecordBody) => {
    seq += 1;
    onRecord({ ...body, seq, ts: now() });
  };

  const child = spawnInGroup(command, cwd, env);
  const pid = child.pid;
  if (pid !== undefined) emit({ kind: "started", pid, command: recordedCommand(command), workdir: cwd });

  let stoppedBy: StopCause | null = null;
  let exited = false;
  let killTimer: NodeJS.Timeout | undefined;
  let budget: BudgetCrossing | undefined;
  const stop = (cause: StopCause, graceMs = killGraceMs) => {
    if (pid === undefined || stoppedBy !== null || exited) return;
    stoppedBy = cause;
    signalGroup(pid, "SIGTERM");
    killTimer = setTimeout(() => signalGroup(pid, "SIGKILL"), graceMs);
  };
  const costReported = (usd: number) => {
    if (maxCostUsd === null || budget || !(usd > maxCostUsd)) return;
    budget = { usd, limitUsd: maxCostUsd };
    stop("budget");
  };
  const outputEnded = recordOutput(child, { emit, maxLogText, parser, costReported });
  const timeoutTimer = pid === undefined ? undefined : setTimeout(() => stop("timeout"), timeoutMs);
  // A worker never leaves processes behind: what is still in its group when the leader exits dies too.
  child.on("exit", () => {
    exited = true;
    if (pid !== undefined) signalGroup(pid, "SIGKILL");
  });

  const ended = child.then((result): WorkerEnd => {
    clearTimeout(timeoutTimer);
    clearTimeout(killTimer);
    if (pid === undefined)
      return { kind: "spawn_failed", message: result.originalMessage || result.shortMessage || "spawn failed" };
    const exitCode = result.exitCode ?? null;
    const signal = result.signal ?? null;
    outputEnded({ exitCode, signal, stopped: stoppedBy !== null });
    // A crossing read only after the process exited still fails the claim: the money was spent all the same.
    const cause = stoppedBy ?? (budget ? "budget" : null);
    return { kind: "exited", exitCode, signal, stoppedBy: cause, ...(budget ? { budget } : {}) };
  });
  return { pid, stop, ended };
}
