// The node's one config file: the identity `join` wrote plus settings an operator may edit; parsed once at start.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { AgentName, Ed25519PublicJwk, Id, Labels, NetworkPolicy, NodeName, parseDuration, SandboxMode } from "@muster/protocol";
import { PRESET_NAMES } from "./agents/presets.js";
import { isPlaceholder, placeholdersIn } from "./agents/template.js";

export const Ed25519PrivateJwk = Ed25519PublicJwk.extend({
  d: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "d must be a 32-byte base64url value"),
});
export type Ed25519PrivateJwk = z.infer<typeof Ed25519PrivateJwk>;

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "env names are letters, digits and _");

export const CoordinatorUrl = z
  .url({ protocol: /^https?$/, error: "url must be an http:// or https:// URL" })
  .transform((u) => u.replace(/\/+$/, ""));

export const CustomAgent = z
  .object({ command: z.array(z.string().max(4096)).min(1).max(256) })
  .strict()
  .superRefine(({ command }, ctx) => {
    const exe = command[0]!;
    if (exe === "" || placeholdersIn(exe).length > 0)
      ctx.addIssue({ code: "custom", path: ["command", 0], message: "the executable must be a plain name or path" });
    command.forEach((arg, i) => {
      for (const name of placeholdersIn(arg))
        if (!isPlaceholder(name))
          ctx.addIssue({ code: "custom", path: ["command", i], message: `unknown placeholder {{${name}}}` });
    });
  });
export type CustomAgent = z.infer<typeof CustomAgent>;

export const AgentsConfig = z
  .object({
    /** `false` turns a preset off. */
    presets: z.partialRecord(z.enum(PRESET_NAMES), z.boolean()).default({}),
    /** Agents not to offer, by name (presets, custom agents, or `exec`). */
    disabled: z.array(AgentName).default([]),
    /** At most this many claims of one agent at once, within the node's capacity, e.g. `{"claude": 1}`. */
    limits: z.record(AgentName, z.number().int().positive().max(1024)).default({}),
    /** Named command templates; one named like a preset replaces it. */
    custom: z
      .record(AgentName, CustomAgent)
      .default({})
      .refine((c) => !Object.hasOwn(c, "exec"), "exec is built in and cannot be redefined")
      // hello lists at most 64 agents: exec, the presets and these.
      .refine((c) => Object.keys(c).length <= 59, "at most 59 custom agents"),
  })
  .strict();
export type AgentsConfig = z.infer<typeof AgentsConfig>;

/** A duration as people write it ("24h", "90m"); kept as text so the file reads back as written. */
const DurationText = z.string().refine(
  (text) => {
    try {
      parseDuration(text);
      return true;
    } catch {
      return false;
    }
  },
  { error: "a duration such as 30m, 24h or 7d" },
);

export const WorkspacesConfig = z
  .object({
    /** Keep a succeeded claim's worktree after its result is stored (its branch is kept either way). */
    keepSucceeded: z.boolean().default(false),
    /** How long a failed or cancelled claim's worktree stays for a look. */
    keepFailedFor: DurationText.default("24h"),
  })
  .strict();
export type WorkspacesConfig = z.infer<typeof WorkspacesConfig>;

/** Tool approvals of Claude Code workers (tasks with approveTools). */
export const ApprovalsConfig = z
  .object({
    /** An unanswered tool ask is denied after this long, unless its task sets its own. */
    timeout: DurationText.default("30m"),
  })
  .strict();

export const NodeConfig = z
  .object({
    version: z.literal(1).default(1),
    url: CoordinatorUrl,
    nodeId: Id,
    name: NodeName,
    /** The `aud` of the JWTs this node signs (from the JoinResponse). */
    audience: z.string().min(1),
    publicKey: Ed25519PublicJwk,
    privateKey: Ed25519PrivateJwk,
    /** A PEM file of CAs to trust for the coordinator's TLS certificate (`join --ca`), besides the system's. */
    ca: z.string().min(1).optional(),
    labels: Labels.default({}),
    capacity: z.number().int().min(0).max(1024),
    /** Where claim work dirs go; MUSTER_NODE_DATA_DIR overrides it. */
    dataDir: z.string().min(1).optional(),
    /** Extra daemon env vars a worker may see, on top of the built-in allowlist. */
    passEnv: z.array(EnvName).default([]),
    /** The `muster` CLI workers run (`muster ask`), or a directory holding it; found next to the node by default. */
    musterBin: z.string().min(1).optional(),
    agents: AgentsConfig.prefault({}),
    /** Git worktrees of tasks with a repository: what is kept after a claim ends. */
    workspaces: WorkspacesConfig.prefault({}),
    /** How workers are kept from the node and each other; absent: bwrap if it works here, else user if root. */
    sandbox: SandboxMode.optional(),
    /** The unprivileged user workers run as with sandbox `user`. */
    sandboxUser: z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/i, "a user name").max(32).default("muster-worker"),
    /** A worker's network unless its task asks for none; `none` needs sandbox bwrap. */
    network: NetworkPolicy.default("on"),
    approvals: ApprovalsConfig.prefault({}),
    joinedAt: z.string().optional(),
  })
  .strict();
export type NodeConfig = z.infer<typeof NodeConfig>;
export type NodeConfigInput = z.input<typeof NodeConfig>;

/** Why a config could not be used; `missing` lets `join` tell a fresh machine from a broken file. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    readonly reason: "missing" | "corrupt" | "invalid",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.MUSTER_NODE_CONFIG || join(homedir(), ".config", "muster", "node.json"));
}

/** Env beats the config file, which beats the default. */
export function resolveDataDir(config: Pick<NodeConfig, "dataDir">, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.MUSTER_NODE_DATA_DIR || config.dataDir || join(homedir(), ".muster", "node"));
}

function describeIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}

/** The sandbox asked for: the `--sandbox` flag, else MUSTER_NODE_SANDBOX, else the config; undefined: none asked. */
export function resolveSandboxMode(
  config: Pick<NodeConfig, "sandbox">,
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): SandboxMode | undefined {
  const [value, from] = flag ? [flag, "--sandbox"] : env.MUSTER_NODE_SANDBOX ? [env.MUSTER_NODE_SANDBOX, "MUSTER_NODE_SANDBOX"] : [undefined, ""];
  if (value === undefined) return config.sandbox;
  const parsed = SandboxMode.safeParse(value);
  if (!parsed.success) throw new ConfigError(`${from} must be bwrap, user or none, not ${JSON.stringify(value)}`, "invalid");
  return parsed.data;
}

export function parseConfig(raw: unknown, path: string): NodeConfig {
  const parsed = NodeConfig.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(`node config at ${path} is invalid: ${describeIssues(parsed.error)}`, "invalid");
  return parsed.data;
}

export async function loadConfig(path: string): Promise<NodeConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      throw new ConfigError(`no node config at ${path}; run muster-node join first`, "missing", { cause: err });
    throw new ConfigError(`cannot read node config at ${path}: ${(err as Error).message}`, "corrupt", { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`node config at ${path} is not valid JSON: ${(err as Error).message}`, "corrupt", {
      cause: err,
    });
  }
  return parseConfig(raw, path);
}

/**
 * Writes the config readable by its owner only. A temp file renamed over the old one means a crash
 * never leaves half a file holding the node's private key.
 */
export async function writeConfig(path: string, config: NodeConfigInput): Promise<void> {
  const data = `${JSON.stringify(parseConfig(config, path), null, 2)}\n`;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, data, { mode: 0o600, flag: "wx" });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
