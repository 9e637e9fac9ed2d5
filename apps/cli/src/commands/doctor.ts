// `muster doctor`: checks config, reachability, token, versions and clock skew, one line each.
import { CliDoctorOutput, describeTlsFailure, Health, MUSTER_VERSION, Status, WhoAmI } from "@muster/protocol";
import type { Command } from "commander";
import { ApiClient, networkReason, trustingFetch } from "../client.js";
import { type ConfigSource, normalizeUrl, type ResolvedConfig, resolveConfig } from "../config.js";
import { toCLIError } from "../errors.js";
import { colorEnabled, green, red } from "../format/color.js";
import type { Io } from "../io.js";
import { writeJson, writeLine } from "../output.js";
import { type Ctx, examples, globals } from "./_context.js";

type Check = CliDoctorOutput["checks"][number];

/** Beyond this the coordinator's and this machine's idea of "now" disagree enough to matter (ages, timeouts). */
export const MAX_SKEW_MS = 30_000;
const TIMEOUT_MS = 10_000;

export function register(program: Command, ctx: Ctx): void {
  program
    .command("doctor")
    .description("check the config, the coordinator's reachability, the token, versions and clock skew")
    .option("--json", "print the checks as JSON")
    .addHelpText("after", examples("muster doctor", "muster doctor --json | jq '.checks[] | select(.ok | not)'"))
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { io } = ctx;
      const checks = await runChecks(io, globals(cmd).config, globals(cmd).ca);
      if (!checks.every((c) => c.ok)) ctx.exitCode = 1;
      if (opts.json) return writeJson(io.stdout, CliDoctorOutput, { checks });
      const color = colorEnabled(io.stdout, io.env);
      const nameWidth = Math.max(...checks.map((c) => c.name.length));
      for (const c of checks) {
        const mark = c.ok ? green("ok  ", color) : red("fail", color);
        writeLine(io.stdout, `${mark}  ${c.name.padEnd(nameWidth)}  ${c.detail}`);
      }
    });
}

export async function runChecks(io: Io, configFlag: string | undefined, caFlag?: string): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string) => void checks.push({ name, ok, detail });
  const skipAll = (why: string, ...names: string[]) => names.forEach((n) => add(n, false, `skipped: ${why}`));

  // config
  let conf: ResolvedConfig;
  let url: string;
  let fetch: typeof io.fetch;
  try {
    conf = await resolveConfig({ env: io.env, cwd: io.cwd, home: io.home, configFlag, caFlag });
    if (!conf.url) throw new Error(`no coordinator URL (looked in ${conf.file.path} and MUSTER_URL; run muster login)`);
    url = normalizeUrl(conf.url);
    fetch = await trustingFetch(io.fetch, conf.ca);
  } catch (err) {
    add("config", false, toCLIError(err).message);
    skipAll("no coordinator URL", "coordinator", "token", "version", "clock");
    return checks;
  }
  add("config", true, configDetail(conf));

  // coordinator reachable, and the clock from the same response
  const started = io.now();
  let date: string | null;
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const latency = io.now() - started;
    date = res.headers.get("date");
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok || !Health.safeParse(body).success) throw new Error(`GET /healthz answered HTTP ${res.status}, not {"status":"ok"}`);
    add("coordinator", true, `${url} answered in ${latency}ms`);
  } catch (err) {
    const why = err instanceof Error && err.name === "TimeoutError" ? `timed out after ${TIMEOUT_MS / 1000}s` : reason(err);
    const tls = describeTlsFailure(err, { caGiven: conf.ca !== undefined });
    add("coordinator", false, tls ?? `cannot reach ${url}: ${why}`);
    skipAll("coordinator unreachable", "token", "version", "clock");
    return checks;
  }

  // token and version
  const client = new ApiClient({ url, token: conf.token, fetch, caGiven: conf.ca !== undefined, timeoutMs: TIMEOUT_MS });
  if (!conf.token) skipAll("no API token (run muster login, or set MUSTER_TOKEN)", "token", "version");
  else {
    let tokenOk = false;
    try {
      const me = await client.get("/v1/whoami", WhoAmI);
      tokenOk = true;
      add("token", true, `${me.name} (role ${me.role})`);
    } catch (err) {
      add("token", false, toCLIError(err).line);
    }
    if (!tokenOk) skipAll("token not accepted", "version");
    else {
      try {
        const v = (await client.get("/v1/status", Status)).coordinator.version;
        if (v === MUSTER_VERSION) add("version", true, `CLI ${MUSTER_VERSION}, coordinator ${v}`);
        else add("version", false, `CLI ${MUSTER_VERSION}, coordinator ${v}: they differ; upgrade the older one`);
      } catch (err) {
        add("version", false, toCLIError(err).line);
      }
    }
  }

  // clock skew: the Date header has whole seconds, so anything within a second or two is "in sync"
  const server = date ? Date.parse(date) : Number.NaN;
  if (Number.isNaN(server)) add("clock", false, "the coordinator sent no usable Date header");
  else {
    const skew = io.now() - server;
    const secs = Math.round(Math.abs(skew) / 1000);
    const ok = Math.abs(skew) <= MAX_SKEW_MS;
    const side = skew > 0 ? "ahead of" : "behind";
    const what = secs <= 1 ? "local clock matches the coordinator's" : `local clock ${secs}s ${side} the coordinator's`;
    add("clock", ok, ok ? what : `${what} (more than ${MAX_SKEW_MS / 1000}s)`);
  }
  return checks;
}

const SOURCE_NAMES: Record<ConfigSource, string> = { env: "env", explicit: "--config file", project: "project file", user: "user file" };

/** "url and token from project file /repo/.muster/cli.json", "url from env, token from user file ...". */
function configDetail(conf: ResolvedConfig): string {
  const from = (s: ConfigSource | undefined) => (s === undefined ? "nowhere" : s === "env" ? "env" : `${SOURCE_NAMES[s]} ${conf.file.path}`);
  if (conf.urlSource === conf.tokenSource) return `url and token from ${from(conf.urlSource)}`;
  return `url from ${from(conf.urlSource)}, token from ${from(conf.tokenSource)}`;
}

function reason(err: unknown): string {
  return err instanceof Error && !("cause" in err && err.cause) ? err.message : networkReason(err);
}
