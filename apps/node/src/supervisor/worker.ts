// One worker process: leader of its own process group, output streamed as records, a time limit, a group kill.
import { execa, type ResultPromise } from "execa";
import type { ClaimRecord } from "@muster/protocol";
import type { AgentOutputParser, ParsedRecord, ProcessEnd } from "../agents/parsers/index.js";
import { LineAssembler } from "./lines.js";
import type { OutputCap } from "./output-cap.js";
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
  /** What the `started` record shows when `command` wraps the real one (a sandbox); `command` by default. */
  shownCommand?: readonly string[];
  /** Run as this user and group (a sandbox of its own uid); the daemon's by default. */
  uid?: number;
  gid?: number;
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
  /** Stop the worker (reason stuck) after this long without a byte on stdout or stderr. */
  idleTimeoutMs?: number | null;
  /** Bounds the raw output kept in log records; shared by the processes of one attempt. */
  outputCap?: OutputCap;
  /** Emit the `started` record; false for a step after the agent (verify), which a progress record announces. */
  announce?: boolean;
  firstSeq?: number;
  /** Hands out seqs when the claim's records come from more than this worker. */
  nextSeq?: () => number;
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
  outputCap: OutputCap | undefined;
  costReported(usd: number): void;
  /** The agent's own closing words when it says it failed (its summary record). */
  failureSaid(text: string): void;
  /** Any output at all, kept or not. */
  heard(): void;
}

/**
 * Turns both streams into log records and, with a parser, stdout lines into parsed records. Returns what
 * to call once the output has ended: a last line without a newline is parsed then.
 */
function recordOutput(child: ResultPromise, sinks: OutputSinks): (how: ProcessEnd) => void {
  const { emit, maxLogText, parser, outputCap, costReported, failureSaid, heard } = sinks;
  const lines = new LineAssembler();
  const emitParsed = (records: ParsedRecord[]) => {
    for (const record of records) {
      emit(record);
      if (record.kind === "cost") costReported(record.usd);
      if (record.kind === "summary" && !record.ok && record.text.trim() !== "") failureSaid(record.text);
    }
  };
  for (const stream of ["stdout", "stderr"] as const) {
    const readable = child[stream];
    readable?.setEncoding("utf8");
    readable?.on("data", (text: string) => {
      heard();
      // Past the cap the raw text is dropped, but the parser below still reads it: cost and budget keep working.
      const { kept, notice } = outputCap ? outputCap.take(text) : { kept: text, notice: null };
      if (kept !== "") for (const part of splitText(kept, maxLogText)) emit({ kind: "log", stream, text: part });
      if (notice !== null) emit({ kind: "log", stream: "stderr", text: notice });
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

function spawnInGroup(command: readonly string[], cwd: string, env: Record<string, string>, ids: { uid?: number; gid?: number }): ResultPromise {
  const [file, ...args] = command;
  return execa(file ?? "", args, {
    cwd,
    env,
    ...(ids.uid !== undefined ? { uid: ids.uid } : {}),
    ...(ids.gid !== undefined ? { gid: ids.gid } : {}),
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
  const { command, cwd, env, timeoutMs, onRecord, parser, maxCostUsd = null, idleTimeoutMs = null, outputCap } = opts;
  const { killGraceMs = KILL_GRACE_MS, now = Date.now, maxLogText = MAX_LOG_TEXT, announce = true } = opts;
  let seq = (opts.firstSeq ?? 1) - 1;
  const nextSeq = opts.nextSeq ?? (() => seq + 1);
  const emit = (body: RecordBody) => {
    seq = nextSeq();
    onRecord({ ...body, seq, ts: now() });
  };

  const child = spawnInGroup(command, cwd, env, { uid: opts.uid, gid: opts.gid });
  const pid = child.pid;
  if (pid !== undefined && announce) emit({ kind: "started", pid, command: recordedCommand(opts.shownCommand ?? command), workdir: cwd });

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
  const idleTimer = pid === undefined || idleTimeoutMs === null ? undefined : setTimeout(() => stop("stuck"), idleTimeoutMs);
  // refresh() would re-arm a timer that already fired, so only while the worker has not been stopped.
  const heard = () => {
    if (stoppedBy === null && !exited) idleTimer?.refresh();
  };
  let agentError: string | undefined;
  const failureSaid = (text: string) => {
    agentError = text;
  };
  const outputEnded = recordOutput(child, { emit, maxLogText, parser, outputCap, costReported, failureSaid, heard });
  const timeoutTimer = pid === undefined ? undefined : setTimeout(() => stop("timeout"), timeoutMs);
  // A worker never leaves processes behind: what is still in its group when the leader exits dies too.
  child.on("exit", () => {
    exited = true;
    if (pid !== undefined) signalGroup(pid, "SIGKILL");
  });

  const ended = child.then((result): WorkerEnd => {
    clearTimeout(timeoutTimer);
    clearTimeout(idleTimer);
    clearTimeout(killTimer);
    if (pid === undefined)
      return { kind: "spawn_failed", message: result.originalMessage || result.shortMessage || "spawn failed" };
    const exitCode = result.exitCode ?? null;
    const signal = result.signal ?? null;
    outputEnded({ exitCode, signal, stopped: stoppedBy !== null });
    // A crossing read only after the process exited still fails the claim: the money was spent all the same.
    const cause = stoppedBy ?? (budget ? "budget" : null);
    const stuck = cause === "stuck" && idleTimeoutMs !== null ? { idleMs: idleTimeoutMs } : {};
    const said = agentError !== undefined ? { agentError } : {};
    return { kind: "exited", exitCode, signal, stoppedBy: cause, ...(budget ? { budget } : {}), ...stuck, ...said };
  });
  return { pid, stop, ended };
}
