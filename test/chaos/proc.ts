// A daemon process for chaos runs: whole output lines (JSON log lines never split at pipe chunk boundaries),
// listeners per line, and signals by name.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export class DaemonProc {
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private listeners: ((line: string) => void)[] = [];

  constructor(
    readonly name: string,
    args: string[],
    env: Record<string, string | undefined>,
    onLine?: (line: string) => void,
  ) {
    if (onLine) this.listeners.push(onLine);
    this.child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => this.onLine(line));
    }
    this.exited = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private onLine(line: string): void {
    if (!line) return;
    this.lines.push(line);
    if (process.env.MUSTER_TEST_VERBOSE) process.stderr.write(`[${this.name}] ${line}\n`);
    for (const l of this.listeners) l(line);
  }

  /** Waits for an output line matching `re`, already printed or still to come. */
  waitFor(re: RegExp, timeoutMs = 20_000): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const listener = (line: string) => {
        if (!re.test(line)) return;
        cleanup();
        resolve(line);
      };
      const onExit = (exit: Exit) => {
        cleanup();
        reject(new Error(`${this.name} exited (${JSON.stringify(exit)}) before printing ${re}\n${this.tail()}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name}: no line matching ${re} within ${timeoutMs}ms\n${this.tail()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
      };
      this.listeners.push(listener);
      void this.exited.then(onExit);
    });
  }

  tail(n = 20): string {
    return this.lines.slice(-n).join("\n");
  }

  /** Sends `signal`; with SIGTERM, SIGKILLs after `timeoutMs` if the process is still there. */
  async stop(signal: NodeJS.Signals, timeoutMs = 10_000): Promise<Exit> {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    const t = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const res = await this.exited;
    clearTimeout(t);
    return res;
  }
}
