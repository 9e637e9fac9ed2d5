// Runs the watchdog process (bin/reaper.js) that kills the workers' process groups when the daemon dies,
// SIGKILL included: the watchdog notices because its stdin, a pipe from the daemon, reaches EOF. The daemon
// tells it each worker's claim before the spawn and its process group after.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Logger } from "../log.js";
import type { WorkerWatchdog } from "./journal.js";

/** The script sits outside src so that it runs as it is, from the sources as well as from dist. */
export const REAPER_SCRIPT = fileURLToPath(new URL("../../bin/reaper.js", import.meta.url));

export interface ReaperOptions {
  log: Logger;
  /** Between the watchdog's SIGTERM and SIGKILL to the orphaned groups. */
  graceMs?: number;
  script?: string;
}

export class Reaper implements WorkerWatchdog {
  private child: ChildProcess | null = null;
  /** What the watchdog has been told, so a new one can be told again. */
  private readonly watched = new Map<string, number | null>();
  private closing = false;
  private lastSpawnAt = 0;
  private readonly log: Logger;
  private readonly graceMs: number;

  private constructor(private readonly opts: ReaperOptions) {
    this.log = opts.log;
    this.graceMs = opts.graceMs ?? 1000;
  }

  static start(opts: ReaperOptions): Reaper {
    const reaper = new Reaper(opts);
    reaper.spawn();
    return reaper;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  watch(claimId: string): void {
    this.watched.set(claimId, null);
    this.write(`watch ${claimId}\n`);
  }

  started(claimId: string, pgid: number): void {
    this.watched.set(claimId, pgid);
    this.write(`pgid ${claimId} ${pgid}\n`);
  }

  unwatch(claimId: string): void {
    if (!this.watched.delete(claimId)) return;
    this.write(`unwatch ${claimId}\n`);
  }

  /** The daemon is exiting: closing the pipe tells the watchdog to stop what is still watched and exit. */
  async close(): Promise<void> {
    this.closing = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.graceMs + 1000)))]);
    clearTimeout(timer);
  }

  private write(line: string): void {
    // A pipe write to a live watchdog goes straight to the kernel, so a SIGKILL right after it does not lose it.
    if (this.child?.stdin?.writable) this.child.stdin.write(line);
  }

  private spawn(): void {
    this.lastSpawnAt = Date.now();
    let child: ChildProcess;
    try {
      // Detached: its own session, so signals for the daemon's terminal or process group do not reach it.
      child = spawn(process.execPath, [this.opts.script ?? REAPER_SCRIPT, String(this.graceMs)], {
        detached: true,
        stdio: ["pipe", "ignore", "inherit"],
      });
    } catch (err) {
      this.log.error({ err }, "cannot start the watchdog; workers may outlive a crashed daemon");
      return;
    }
    child.on("error", (err) => this.log.error({ err }, "watchdog process error"));
    // EPIPE once it died; the exit handler starts a new one.
    child.stdin?.on("error", () => {});
    child.on("exit", (code, signal) => this.exited(child, code, signal));
    // The daemon's exit must not wait for its watchdog: that exit is what the watchdog waits for.
    child.unref();
    (child.stdin as { unref?: () => void } | null)?.unref?.();
    this.child = child;
    for (const [claimId, pgid] of this.watched) {
      this.write(`watch ${claimId}\n`);
      if (pgid !== null) this.write(`pgid ${claimId} ${pgid}\n`);
    }
    this.log.debug({ pid: child.pid }, "watchdog started");
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = null;
    if (this.closing) return;
    this.log.error({ code, signal }, "the watchdog process died; starting a new one");
    // At most one start a second, so a watchdog that cannot run does not spin.
    const wait = Math.max(0, 1000 - (Date.now() - this.lastSpawnAt));
    setTimeout(() => {
      if (!this.closing) this.spawn();
    }, wait).unref();
  }
}
