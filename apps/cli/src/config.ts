// Where the CLI finds its coordinator URL and API token, and how `login` stores them.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { CLIError, usageError } from "./errors.js";

/** `cli.json`: written by `muster login` and by the dev fleet (`npm start`) as `.muster/cli.json`. */
export const CliConfigFile = z.looseObject({
  url: z.string().optional(),
  token: z.string().optional(),
  /** PEM file of a private CA to trust for the coordinator's TLS certificate (`login --ca`). */
  ca: z.string().optional(),
});
export type CliConfigFile = z.infer<typeof CliConfigFile>;

export interface ConfigSources {
  env: Record<string, string | undefined>;
  cwd: string;
  home: string;
  /** `--config PATH` */
  configFlag?: string | undefined;
  /** `--ca FILE` */
  caFlag?: string | undefined;
}

export type ConfigSource = "env" | "explicit" | "project" | "user";

export interface ResolvedConfig {
  url: string | undefined;
  token: string | undefined;
  /** Absolute path of the CA file to trust: --ca, else MUSTER_CA, else the file's. */
  ca: string | undefined;
  /** The file the values (other than env overrides) came from, whether or not it exists. */
  file: { path: string; source: Exclude<ConfigSource, "env"> };
  urlSource: ConfigSource | undefined;
  tokenSource: ConfigSource | undefined;
}

export const userConfigPath = (home: string) => join(home, ".config", "muster", "cli.json");

function explicitConfigPath(src: ConfigSources): string | undefined {
  const p = src.configFlag ?? nonEmpty(src.env.MUSTER_CLI_CONFIG);
  return p === undefined ? undefined : resolve(src.cwd, p);
}

/** The nearest `.muster/cli.json` in the current directory or one of its parents. */
export async function findProjectConfig(cwd: string): Promise<string | null> {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, ".muster", "cli.json");
    if (await isFile(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The file `login` writes and `logout` edits: the explicit one, else the user's. */
export function writableConfigPath(src: ConfigSources): string {
  return explicitConfigPath(src) ?? userConfigPath(src.home);
}

/** The file commands read: explicit > nearest project file > the user's. */
export async function activeConfigFile(src: ConfigSources): Promise<ResolvedConfig["file"]> {
  const explicit = explicitConfigPath(src);
  if (explicit) return { path: explicit, source: "explicit" };
  const project = await findProjectConfig(src.cwd);
  if (project) return { path: project, source: "project" };
  return { path: userConfigPath(src.home), source: "user" };
}

/** Env `MUSTER_URL` / `MUSTER_TOKEN` override the file's values one by one. */
export async function resolveConfig(src: ConfigSources): Promise<ResolvedConfig> {
  const file = await activeConfigFile(src);
  const stored = (await readConfigFile(file.path)) ?? {};
  const envUrl = nonEmpty(src.env.MUSTER_URL);
  const envToken = nonEmpty(src.env.MUSTER_TOKEN);
  const fileUrl = nonEmpty(stored.url);
  const fileToken = nonEmpty(stored.token);
  const ca = explicitCa(src) ?? nonEmpty(stored.ca);
  return {
    url: envUrl ?? fileUrl,
    token: envToken ?? fileToken,
    ca: ca === undefined ? undefined : resolve(src.cwd, ca),
    file,
    urlSource: envUrl ? "env" : fileUrl ? file.source : undefined,
    tokenSource: envToken ? "env" : fileToken ? file.source : undefined,
  };
}

/** The CA file named on the command line or in MUSTER_CA, as an absolute path; what `login` stores. */
export function explicitCa(src: Pick<ConfigSources, "caFlag" | "env" | "cwd">): string | undefined {
  const ca = nonEmpty(src.caFlag) ?? nonEmpty(src.env.MUSTER_CA);
  return ca === undefined ? undefined : resolve(src.cwd, ca);
}

/** Reads a config file; null when it does not exist. */
export async function readConfigFile(path: string): Promise<CliConfigFile | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return null;
    throw new CLIError("failure", `cannot read ${path}: ${errnoText(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CLIError("failure", `invalid config file ${path}: not JSON`);
  }
  const parsed = CliConfigFile.safeParse(json);
  if (!parsed.success) throw new CLIError("failure", `invalid config file ${path}: expected {"url","token"}`);
  return parsed.data;
}

/** Writes the file atomically (temp file + rename) with mode 0600, creating its directory. */
export async function writeConfigFile(path: string, data: CliConfigFile): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new CLIError("failure", `cannot write ${path}: ${errnoText(err)}`);
  }
}

/** Drops the token from a config file, keeping the URL; false when there was none. */
export async function removeStoredToken(path: string): Promise<boolean> {
  const stored = await readConfigFile(path);
  if (!stored || stored.token === undefined) return false;
  const { token: _token, ...rest } = stored;
  await writeConfigFile(path, rest);
  return true;
}

/** Validates a coordinator URL and drops trailing slashes. */
export function normalizeUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw usageError(`invalid coordinator URL "${text}" (expected e.g. http://localhost:7391)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw usageError(`invalid coordinator URL "${text}" (expected http:// or https://)`);
  if (url.search || url.hash) throw usageError(`invalid coordinator URL "${text}" (no query or fragment)`);
  // The API's own prefix is added to every request: `…/v1` given as the coordinator's URL means the coordinator.
  return url.toString().replace(/\/+$/, "").replace(/\/v1$/, "");
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === code;
}

function errnoText(err: unknown): string {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
}
