// What every command module shares: the context, signing in, option helpers, help examples.
import type { Command } from "commander";
import { ApiClient, trustingFetch } from "../client.js";
import { normalizeUrl, resolveConfig } from "../config.js";
import { CLIError, NOT_SIGNED_IN, usageError } from "../errors.js";
import type { Io } from "../io.js";

export interface Ctx {
  io: Io;
  /** Exit code for a command that finished without an error but did not succeed (`submit --wait`). */
  exitCode: number;
}

export type Register = (program: Command, ctx: Ctx) => void;

/** Replaces "see <command> --help" after an unknown option, where a command knows the likelier mistake. */
export const unknownOptionHints = new WeakMap<Command, string>();

export interface GlobalOptions {
  config?: string;
  ca?: string;
}

export const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();

/** A client for the signed-in coordinator, or exit 4 with how to sign in. `timeoutMs` bounds each request (long polls). */
export async function connect(ctx: Ctx, cmd: Command, { timeoutMs }: { timeoutMs?: number } = {}): Promise<ApiClient> {
  const { io } = ctx;
  const { config: configFlag, ca: caFlag } = globals(cmd);
  const conf = await resolveConfig({ env: io.env, cwd: io.cwd, home: io.home, configFlag, caFlag });
  if (!conf.url || !conf.token) throw new CLIError("auth", NOT_SIGNED_IN);
  const fetch = await trustingFetch(io.fetch, conf.ca);
  return new ApiClient({ url: normalizeUrl(conf.url), token: conf.token, fetch, caGiven: conf.ca !== undefined, ...(timeoutMs ? { timeoutMs } : {}) });
}

/** Commander collector for repeatable options (`--label a=b --label c=d`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Help text listing examples under the options. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}

export function parseIntOption(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim())) throw usageError(`${flag}: expected a whole number, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw usageError(`${flag}: must be between ${min} and ${max}, got ${n}`);
  return n;
}
