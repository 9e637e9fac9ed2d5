// Turns `muster submit` flags and the argv after `--` into a validated CreateTaskRequest.
import { CreateTaskRequest, parseDuration, parseLabels, parseSelector } from "@muster/protocol";
import { usageError } from "../errors.js";

export interface SubmitFlags {
  agent?: string;
  prompt?: string;
  promptFile?: string;
  model?: string;
  thinking?: string;
  label?: string[];
  selector?: string;
  priority?: string;
  timeout?: string;
  maxAttempts?: string;
  name?: string;
  env?: string[];
  idempotent?: boolean;
  onDisconnect?: string;
  policy?: string;
  affinityKey?: string;
  spreadLabel?: string;
  group?: string;
  groupLimit?: string;
  maxCost?: string;
  retryOn?: string;
  repo?: string;
  ref?: string;
  verify?: string;
  idleTimeout?: string;
  outputCap?: string;
  approveBefore?: string;
  approveTools?: string;
  approveToolsTimeout?: string;
  allowUnknownAgent?: boolean;
  network?: string;
}

/** The flag a body field came from, so a validation error names what the user typed. */
const FLAG_OF: Record<string, string> = {
  agent: "--agent",
  argv: "command",
  prompt: "--prompt",
  model: "--model",
  thinking: "--thinking",
  env: "--env",
  selector: "--selector",
  labels: "--label",
  priority: "--priority",
  timeoutMs: "--timeout",
  maxAttempts: "--max-attempts",
  name: "--name",
  idempotent: "--idempotent",
  onDisconnect: "--on-disconnect",
  policy: "--policy",
  affinityKey: "--affinity-key",
  spreadLabel: "--spread-label",
  group: "--group",
  groupLimit: "--group-limit",
  maxCostUsd: "--max-cost",
  retryOn: "--retry-on",
  repo: "--repo",
  ref: "--ref",
  verify: "--verify",
  idleTimeoutMs: "--idle-timeout",
  outputCapBytes: "--output-cap",
  approveBefore: "--approve-before",
  approveTools: "--approve-tools",
  approveToolsTimeoutMs: "--approve-tools-timeout",
  allowUnknownAgent: "--allow-unknown-agent",
  network: "--network",
};

/**
 * Builds the request body. `prompt` is the prompt text already read (from --prompt or --prompt-file);
 * `env` is the CLI's own environment, for `--env NAME` without a value.
 */
export function buildCreateTask(
  flags: SubmitFlags,
  argv: readonly string[],
  prompt: string | undefined,
  env: Record<string, string | undefined>,
): CreateTaskRequest {
  const agent = flags.agent ?? "exec";
  if (argv.length > 0 && agent !== "exec")
    throw usageError(`--agent ${agent} takes --prompt, not a command after --`);
  const body: Record<string, unknown> = { agent };
  if (argv.length > 0) body.argv = [...argv];
  if (prompt !== undefined) body.prompt = prompt;
  if (flags.model !== undefined) body.model = flags.model;
  if (flags.thinking !== undefined) body.thinking = flags.thinking;
  if (flags.name !== undefined) body.name = flags.name;
  if (flags.label?.length) body.labels = guard("--label", () => parseLabels(flags.label!));
  if (flags.selector !== undefined) {
    guard("--selector", () => parseSelector(flags.selector!));
    body.selector = flags.selector;
  }
  if (flags.env?.length) body.env = parseEnv(flags.env, env);
  if (flags.timeout !== undefined) body.timeoutMs = guard("--timeout", () => parseDuration(flags.timeout!));
  if (flags.priority !== undefined) body.priority = parseInteger("--priority", flags.priority);
  if (flags.maxAttempts !== undefined) body.maxAttempts = parseInteger("--max-attempts", flags.maxAttempts);
  if (flags.idempotent) body.idempotent = true;
  if (flags.allowUnknownAgent) body.allowUnknownAgent = true;
  if (flags.onDisconnect !== undefined) body.onDisconnect = flags.onDisconnect;
  if (flags.policy !== undefined) body.policy = flags.policy;
  if (flags.affinityKey !== undefined) body.affinityKey = flags.affinityKey;
  if (flags.spreadLabel !== undefined) body.spreadLabel = flags.spreadLabel;
  if (flags.group !== undefined) body.group = flags.group;
  if (flags.groupLimit !== undefined) body.groupLimit = parseInteger("--group-limit", flags.groupLimit);
  if (flags.maxCost !== undefined) body.maxCostUsd = parseMoney("--max-cost", flags.maxCost);
  if (flags.repo !== undefined) body.repo = flags.repo;
  if (flags.ref !== undefined) body.ref = flags.ref;
  if (flags.verify !== undefined) body.verify = flags.verify;
  if (flags.idleTimeout !== undefined) body.idleTimeoutMs = guard("--idle-timeout", () => parseDuration(flags.idleTimeout!));
  if (flags.outputCap !== undefined) body.outputCapBytes = guard("--output-cap", () => parseBytes(flags.outputCap!));
  if (flags.approveBefore !== undefined) body.approveBefore = flags.approveBefore;
  if (flags.network !== undefined) body.network = flags.network;
  if (flags.approveTools !== undefined) body.approveTools = parseApproveTools(flags.approveTools);
  if (flags.approveToolsTimeout !== undefined)
    body.approveToolsTimeoutMs = guard("--approve-tools-timeout", () => parseDuration(flags.approveToolsTimeout!));
  if (flags.retryOn !== undefined) body.retryOn = flags.retryOn.split(",").map((r) => r.trim()).filter(Boolean);

  const parsed = CreateTaskRequest.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = typeof issue.path[0] === "string" ? issue.path[0] : "";
  const flag = FLAG_OF[field];
  // The schema's own message already names its subject ("agent exec needs a non-empty argv").
  if (issue.code === "custom" || !flag) throw usageError(issue.message);
  const sub = issue.path.length > 1 ? ` ${issue.path.slice(1).join(".")}` : "";
  throw usageError(`${flag}${sub}: ${issue.message}`);
}

/** `all`, or tool names separated by commas: `Bash,Write`. */
export function parseApproveTools(text: string): "all" | string[] {
  if (text.trim() === "all") return "all";
  return text
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
}

/** `--env K=V` sets a value; `--env K` copies K from the environment `muster` runs in. */
export function parseEnv(items: readonly string[], env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf("=");
    const key = i < 0 ? item : item.slice(0, i);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw usageError(`--env: invalid variable name "${key}"`);
    const value = i < 0 ? env[key] : item.slice(i + 1);
    if (value === undefined) throw usageError(`--env: ${key} is not set here (use --env ${key}=VALUE)`);
    out[key] = value;
  }
  return out;
}

/** "512k", "10MB", "1g" or a plain number of bytes. */
export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) throw new Error(`invalid size "${text}" (use e.g. 512k, 10m, 1g)`);
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Math.round(Number(m[1]) * unit);
}

function parseMoney(flag: string, text: string): number {
  const n = Number(text.trim().replace(/^\$/, ""));
  if (text.trim() === "" || !Number.isFinite(n)) throw usageError(`${flag}: expected an amount in USD such as 2.50, got "${text}"`);
  return n;
}

function parseInteger(flag: string, text: string): number {
  if (!/^[+-]?\d+$/.test(text.trim())) throw usageError(`${flag}: expected a whole number, got "${text}"`);
  return Number(text);
}

function guard<T>(flag: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw usageError(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
