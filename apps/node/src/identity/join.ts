// `muster-node join`: make a key pair, register it with the coordinator, write the credentials file.
import { availableParallelism, hostname as osHostname } from "node:os";
import { resolve } from "node:path";
import {
  describeTlsFailure,
  ErrorBody,
  ExitCode,
  JOIN_KEY_PREFIX,
  JoinResponse,
  MUSTER_VERSION,
  NodeName,
  parseLabels,
  splitSecret,
  type JoinRequest,
  type Labels,
  type NodeJoinOutput,
} from "@muster/protocol";
import { ConfigError, CoordinatorUrl, defaultConfigPath, loadConfig, writeConfig, type NodeConfig } from "../config.js";
import { NodeCommandError, usageError } from "../errors.js";
import { fetchTrusting, readTrustedCa } from "./ca.js";
import { generateNodeKeyPair } from "./keys.js";

export interface JoinArgs {
  url: string;
  name: string;
  key: string;
  labels: Labels;
  capacity: number;
  configPath: string;
  force: boolean;
  /** PEM file of CAs to trust for the coordinator's certificate; kept in the config for `start`. */
  ca?: string | undefined;
}

/** The flags as commander hands them over, before validation. */
export interface JoinFlags {
  name: string;
  key: string;
  label?: string[];
  capacity?: string;
  config?: string;
  force?: boolean;
  ca?: string;
}

export function defaultCapacity(): number {
  return Math.max(1, availableParallelism());
}

/** Validates everything that can be checked without the network; a bad value is a usage error (exit 2). */
export function parseJoinArgs(url: string, flags: JoinFlags, env: NodeJS.ProcessEnv = process.env): JoinArgs {
  const u = CoordinatorUrl.safeParse(url);
  if (!u.success) throw usageError(`invalid coordinator url "${url}" (expected http://host:port or https://...)`);
  const name = NodeName.safeParse(flags.name);
  if (!name.success) throw usageError(`invalid node name "${flags.name}": ${name.error.issues[0]?.message}`);
  if (!splitSecret(JOIN_KEY_PREFIX, flags.key)) throw usageError(`invalid join key (expected ${JOIN_KEY_PREFIX}_<id>_<secret>)`);
  let labels: Labels;
  try {
    labels = parseLabels(flags.label ?? []);
  } catch (err) {
    throw usageError((err as Error).message);
  }
  let capacity = defaultCapacity();
  if (flags.capacity !== undefined) {
    capacity = Number(flags.capacity);
    if (!/^\d+$/.test(flags.capacity.trim()) || capacity > 1024)
      throw usageError(`invalid capacity "${flags.capacity}" (expected a whole number 0..1024)`);
  }
  const configPath = flags.config ? resolve(flags.config) : defaultConfigPath(env);
  const ca = flags.ca || env.MUSTER_CA || undefined;
  return {
    url: u.data,
    name: name.data,
    key: flags.key.trim(),
    labels,
    capacity,
    configPath,
    force: flags.force === true,
    ...(ca ? { ca: resolve(ca) } : {}),
  };
}

export interface JoinDeps {
  fetch?: typeof fetch;
  hostname?: string;
  timeoutMs?: number;
  now?: () => number;
}

/**
 * Reads the config already at the path. A config of another node (other coordinator or name), or a
 * file that cannot be read as one, is only replaced with --force. Operator settings carry over.
 */
async function existingSettings(args: JoinArgs): Promise<Partial<NodeConfig>> {
  let existing: NodeConfig;
  try {
    existing = await loadConfig(args.configPath);
  } catch (err) {
    if (err instanceof ConfigError && err.reason === "missing") return {};
    if (args.force) return {};
    throw new NodeCommandError(
      `${(err as Error).message}; pass --force to replace it`,
      "conflict",
      ExitCode.failure,
    );
  }
  const sameNode = existing.url === args.url && existing.name === args.name;
  if (!sameNode && !args.force)
    throw new NodeCommandError(
      `${args.configPath} already holds node ${existing.name} (${existing.nodeId}) of ${existing.url}; pass --force to replace it`,
      "conflict",
      ExitCode.failure,
    );
  const { agents, passEnv, dataDir } = existing;
  return { agents, passEnv, ...(dataDir ? { dataDir } : {}) };
}

function describeFetchFailure(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return "timed out";
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

async function postJoin(url: string, body: JoinRequest, deps: JoinDeps, caFile: string | undefined): Promise<JoinResponse> {
  let ca: string[] | undefined;
  try {
    ca = caFile ? await readTrustedCa(caFile) : undefined;
  } catch (err) {
    throw new NodeCommandError((err as Error).message, "bad_request", ExitCode.usage);
  }
  const doFetch = deps.fetch ?? (ca ? fetchTrusting(ca) : fetch);
  let status: number;
  let text: string;
  try {
    const res = await doFetch(`${url}/v1/nodes/join`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(deps.timeoutMs ?? 15_000),
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    const tls = describeTlsFailure(err, { caGiven: ca !== undefined });
    if (tls) throw new NodeCommandError(tls, "tls_unverified", ExitCode.unreachable, { cause: err });
    throw new NodeCommandError(
      `cannot reach the coordinator at ${url}: ${describeFetchFailure(err)}`,
      "unreachable",
      ExitCode.unreachable,
      { cause: err },
    );
  }
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Handled below: a non-JSON answer is reported with its status.
  }
  if (status < 200 || status > 299) {
    const parsed = ErrorBody.safeParse(json);
    const { code, message } = parsed.success
      ? parsed.data.error
      : { code: `http_${status}`, message: text.slice(0, 200) || `HTTP ${status}` };
    throw new NodeCommandError(`join refused: ${code}: ${message}`, code, ExitCode.failure);
  }
  const parsed = JoinResponse.safeParse(json);
  if (!parsed.success)
    throw new NodeCommandError(`the coordinator sent an unexpected join response (HTTP ${status})`, "bad_response", ExitCode.failure);
  return parsed.data;
}

export async function joinCoordinator(args: JoinArgs, deps: JoinDeps = {}): Promise<NodeJoinOutput> {
  const carried = await existingSettings(args);
  const keys = await generateNodeKeyPair();
  const joined = await postJoin(
    args.url,
    {
      key: args.key,
      name: args.name,
      publicKey: keys.publicKey,
      labels: args.labels,
      capacity: args.capacity,
      hostname: (deps.hostname ?? osHostname()).slice(0, 255),
      version: MUSTER_VERSION,
    },
    deps,
    args.ca,
  );
  await writeConfig(args.configPath, {
    ...carried,
    version: 1,
    url: args.url,
    nodeId: joined.nodeId,
    name: joined.name,
    audience: joined.audience,
    publicKey: keys.publicKey,
    privateKey: keys.privateKey,
    ...(args.ca ? { ca: args.ca } : {}),
    labels: joined.labels,
    capacity: joined.capacity,
    joinedAt: new Date((deps.now ?? Date.now)()).toISOString(),
  });
  return {
    nodeId: joined.nodeId,
    name: joined.name,
    url: args.url,
    configPath: args.configPath,
    labels: joined.labels,
    capacity: joined.capacity,
  };
}
