// What a command may touch outside itself; tests hand in fakes, main.ts hands in the process.
import { homedir } from "node:os";

export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  readStdin(): Promise<string>;
  env: Record<string, string | undefined>;
  cwd: string;
  home: string;
  fetch: typeof fetch;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Stops long-running views (`status --watch`) when aborted; unset in the real process, where Ctrl-C ends it. */
  signal?: AbortSignal;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    readStdin,
    env: process.env,
    cwd: process.cwd(),
    home: homedir(),
    fetch: (input, init) => globalThis.fetch(input, init),
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}
