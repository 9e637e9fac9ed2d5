// Prints a task's log entries as they were streamed: text to stdout/stderr, a separator line on stderr
// where a new attempt begins, other records (with --verbose) as dim lines on stderr, or one JSON LogEntry
// per line with --json.
import { AGENT_PRESETS, CliLogLine, type LogEnd, type LogEntry, TaskDetail } from "@muster/protocol";
import { type ApiClient, seg } from "../client.js";
import { colorEnabled, dim } from "../format/color.js";
import { describeEnd, describeRecord, renderAgentRecord } from "../format/records.js";
import type { Io } from "../io.js";
import { writeJsonLine } from "../output.js";

export interface LogPrinterOptions {
  json: boolean;
  verbose: boolean;
  /**
   * The agent's parsed records (its messages, tool calls, results) stand in for its raw machine-readable stdout;
   * false prints stdout as it was (exec tasks, `--raw`).
   */
  rendered?: boolean;
  /** Name of the node that ran a claim, for "── attempt 2 on X ──" and "[started ... on node X]". */
  nodeName: (claimId: string) => Promise<string | undefined>;
}

export class LogPrinter {
  readonly #io: Io;
  readonly #opts: LogPrinterOptions;
  readonly #color: boolean;
  /** Whether the last text written ended a line, so a meta line never lands mid-line. */
  #atLineStart = true;
  #last: { attempt: number; seq: number } | undefined;
  /** The attempt whose output was printed last, so each new one gets its separator once. */
  #attempt: number | undefined;
  #pending: string | null = null;

  constructor(io: Io, opts: LogPrinterOptions) {
    this.#io = io;
    this.#opts = opts;
    this.#color = colorEnabled(io.stderr, io.env);
  }

  async entry(entry: LogEntry): Promise<void> {
    if (this.#isRepeat(entry)) return;
    const { record } = entry;
    if (this.#opts.json) return writeJsonLine(this.#io.stdout, CliLogLine, entry);
    if (entry.attempt !== this.#attempt) {
      // Attempt 1 of a task that ran once needs no heading; any later attempt does, even as the first printed.
      if (this.#attempt !== undefined || entry.attempt > 1) this.meta(`── attempt ${entry.attempt}${await this.#on(entry.claimId)} ──`);
      this.#attempt = entry.attempt;
    }
    if (record.kind === "log") {
      if (record.text === "" || (this.#opts.rendered && record.stream === "stdout")) return;
      (record.stream === "stderr" ? this.#io.stderr : this.#io.stdout).write(record.text);
      this.#atLineStart = record.text.endsWith("\n");
      return;
    }
    const shown = this.#opts.rendered ? renderAgentRecord(record) : undefined;
    if (shown) {
      if (shown.meta) return this.meta(shown.text);
      const lead = this.#atLineStart ? "" : "\n";
      this.#io.stdout.write(`${lead}${shown.text}\n`);
      this.#atLineStart = true;
      return;
    }
    if (!this.#opts.verbose) return;
    const nodeName = record.kind === "started" ? await this.#nodeName(entry.claimId) : undefined;
    const line = describeRecord(record, entry.attempt, nodeName);
    if (line) this.meta(line);
  }

  /** Why the task waits to be placed, said when it appears and when it changes: a wait is never silent. */
  waiting(pending: string | null): void {
    if (this.#opts.json || pending === this.#pending) return;
    this.#pending = pending;
    if (pending !== null) this.meta(`[waiting: ${pending}]`);
  }

  /** How a followed task ended: always said when it did not succeed (the exit code is 1 then), else only with --verbose. */
  end(end: LogEnd): void {
    if (this.#opts.json) return;
    if (this.#opts.verbose || end.state !== "succeeded") this.meta(describeEnd(end));
  }

  meta(text: string): void {
    const lead = this.#atLineStart ? "" : "\n";
    this.#io.stderr.write(`${lead}${dim(text, this.#color)}\n`);
    this.#atLineStart = true;
  }

  /** " on <node>", or "" when the name cannot be had: a separator is never worth failing the command for. */
  async #on(claimId: string): Promise<string> {
    const name = await this.#nodeName(claimId);
    return name ? ` on ${name}` : "";
  }

  async #nodeName(claimId: string): Promise<string | undefined> {
    try {
      return await this.#opts.nodeName(claimId);
    } catch {
      return undefined;
    }
  }

  /** Entries arrive in (attempt, seq) order; a resumed stream may repeat some. */
  #isRepeat(entry: LogEntry): boolean {
    const cur = { attempt: entry.attempt, seq: entry.record.seq };
    const last = this.#last;
    if (last && (cur.attempt < last.attempt || (cur.attempt === last.attempt && cur.seq <= last.seq))) return true;
    this.#last = cur;
    return false;
  }
}

/** Looks node names up from the task's attempts, again only when a claim is new. */
export function nodeNamesOf(client: ApiClient, taskId: string): (claimId: string) => Promise<string | undefined> {
  const names = new Map<string, string>();
  return async (claimId) => {
    if (!names.has(claimId)) {
      const detail = await client.get(`/v1/tasks/${seg(taskId)}`, TaskDetail);
      for (const c of detail.claims) names.set(c.claimId, c.nodeName);
    }
    return names.get(claimId);
  };
}

/** An agent whose stdout the node parses: its messages and tool calls read better than its stream JSON. */
export const isPreset = (agent: string) => (AGENT_PRESETS as readonly string[]).includes(agent);
