// Starts real coordinator and node processes for cross-process tests, and runs the CLI.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN } from "./paths.js";
import { freshPostgres, pglite, type TestDatabase } from "./databases.js";

/** Short timings so tests never wait on production intervals. */
export const FAST_TIMINGS = {
  MUSTER_HEARTBEAT_INTERVAL: "200ms",
  MUSTER_LEASE: "1500ms",
  MUSTER_LEASE_GRACE: "500ms",
};

export class Proc {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: { re: RegExp; resolve: (line: string) => void }[] = [];

  constructor(readonly name: string, readonly child: ChildProcess) {
    // A pipe delivers chunks, not lines: keep the unfinished tail of each stream until its newline arrives.
    const reader = () => {
      let tail = "";
      return (chunk: Buffer) => {
        const parts = (tail + chunk.toString()).split("\n");
        tail = parts.pop() ?? "";
        for (const line of parts) if (line) this.#line(line);
      };
    };
    child.stdout?.on("data", reader());
    child.stderr?.on("data", reader());
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  #line(line: string): void {
    this.lines.push(line);
    if (process.env.MUSTER_TEST_VERBOSE) process.stderr.write(`[${this.name}] ${line}\n`);
    this.#waiters = this.#waiters.filter((w) => (w.re.test(line) ? (w.resolve(line), false) : true));
  }

  /** Waits for an output line matching `re` (already printed or still to come). */
  waitFor(re: RegExp, timeoutMs = 20_000): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.name}: no line matching ${re} within ${timeoutMs}ms\n${this.lines.slice(-20).join("\n")}`)), timeoutMs);
      this.#waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
    });
  }

  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill(signal);
    const t = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const res = await this.exited;
    clearTimeout(t);
    return res;
  }
}

export function spawnProc(name: string, args: string[], env: Record<string, string | undefined>): Proc {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, MUSTER_LOG_FORMAT: "json", MUSTER_LOG_LEVEL: "debug", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Proc(name, child);
}

export interface CoordinatorHandle {
  proc: Proc;
  url: string;
  token: string;
  dataDir: string;
  db: TestDatabase;
  stop(): Promise<void>;
}

export async function startCoordinator(
  kind: "pglite" | "postgres",
  env: Record<string, string> = {},
  reuse?: { dataDir: string; db: TestDatabase; port?: number },
): Promise<CoordinatorHandle> {
  const db = reuse?.db ?? (kind === "postgres" ? await freshPostgres() : pglite());
  const dataDir = reuse?.dataDir ?? mkdtempSync(join(tmpdir(), "muster-coord-"));
  const args = [BIN.coordinator, "start", "--port", String(reuse?.port ?? 0), "--data-dir", dataDir];
  if (db.url) args.push("--database-url", db.url);
  const proc = spawnProc("coordinator", args, { ...FAST_TIMINGS, MUSTER_ADMIN_TOKEN: undefined, ...env });
  // PGlite starts in seconds, more on a loaded machine.
  const line = await proc.waitFor(/coordinator listening/, 90_000);
  const url = (JSON.parse(line) as { url: string }).url;
  const token = env.MUSTER_ADMIN_TOKEN ?? readFileSync(join(dataDir, "admin.token"), "utf8").trim();
  return {
    proc,
    url,
    token,
    dataDir,
    db,
    stop: async () => {
      await proc.stop();
    },
  };
}

/**
 * Stops the coordinator (if it still runs) and starts it again on the same port, data directory and database, as
 * an operator restarting it would: clients that hold its URL (nodes, a browser) reconnect without being told.
 */
export async function startCoordinatorAgain(c: CoordinatorHandle, env: Record<string, string> = {}): Promise<CoordinatorHandle> {
  await c.stop();
  return startCoordinator(c.db.kind, env, { dataDir: c.dataDir, db: c.db, port: Number(new URL(c.url).port) });
}

export async function disposeCoordinator(c: CoordinatorHandle): Promise<void> {
  await c.stop();
  await c.db.drop();
  rmSync(c.dataDir, { recursive: true, force: true });
}

/** Calls the coordinator's API with the admin token. */
export async function api<T = unknown>(
  c: { url: string; token: string },
  method: string,
  path: string,
  body?: unknown,
  token: string | null = c.token,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${c.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Polls `probe` every `everyMs` until it returns a value other than undefined; the error says what was awaited. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  what: string | (() => string) = "condition",
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const about = typeof what === "string" ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${about}${last ? `\nlast error: ${String(last)}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
