// An Io whose output is captured and whose clock and sleeps are instant, for in-process CLI runs.
import type { Io } from "../io.js";
import { NOW } from "./fixtures.js";

export interface FakeIo extends Io {
  out(): string;
  err(): string;
  sleeps: number[];
}

/** `tty: true` makes stdout claim to be a terminal (colour, screen clearing); `stderrTty: true` does so for stderr. */
export function fakeIo(over: Partial<Io> & { stdin?: string; tty?: boolean; stderrTty?: boolean } = {}): FakeIo {
  let out = "";
  let err = "";
  const sleeps: number[] = [];
  let clock = NOW;
  const { stdin = "", tty, stderrTty, ...rest } = over;
  return {
    stdout: { write: (s: string) => (out += s), ...(tty ? { isTTY: true } : {}) },
    stderr: { write: (s: string) => (err += s), ...(stderrTty ? { isTTY: true } : {}) },
    readStdin: async () => stdin,
    env: {},
    cwd: "/nonexistent-cwd",
    home: "/nonexistent-home",
    fetch: (input, init) => globalThis.fetch(input, init),
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    ...rest,
    out: () => out,
    err: () => err,
    sleeps,
  };
}
