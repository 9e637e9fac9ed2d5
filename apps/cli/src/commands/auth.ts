// `muster login` and `muster logout`: store or drop the coordinator URL and API token.
import { CliLoginOutput, CliLogoutOutput, WhoAmI } from "@muster/protocol";
import type { Command } from "commander";
import { ApiClient, trustingFetch } from "../client.js";
import { explicitCa, findProjectConfig, normalizeUrl, readConfigFile, removeStoredToken, writableConfigPath, writeConfigFile } from "../config.js";
import { usageError } from "../errors.js";
import type { Io } from "../io.js";
import { writeJson, writeLine } from "../output.js";
import { type Ctx, examples, globals } from "./_context.js";

interface LoginOptions {
  token?: string;
  json?: boolean;
}

export function register(program: Command, ctx: Ctx): void {
  program
    .command("login")
    .description("check an API token against a coordinator and store both for later commands")
    .argument("<url>", "coordinator URL, e.g. http://localhost:7391")
    .option("--token <token>", "API token (mat_...); '-' reads it from stdin (default: $MUSTER_TOKEN)")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      examples(
        "muster login http://localhost:7391 --token mat_xxx",
        "cat admin.token | muster login https://muster.example.com --token -",
      ),
    )
    .action((url: string, opts: LoginOptions, cmd: Command) => login(ctx, cmd, url, opts));

  program
    .command("logout")
    .description("remove the stored API token (the URL is kept)")
    .option("--json", "print the result as JSON")
    .addHelpText("after", examples("muster logout"))
    .action((opts: { json?: boolean }, cmd: Command) => logout(ctx, cmd, opts));
}

async function login(ctx: Ctx, cmd: Command, rawUrl: string, opts: LoginOptions): Promise<void> {
  const { io } = ctx;
  const url = normalizeUrl(rawUrl);
  const token = opts.token === "-" ? (await io.readStdin()).trim() : (opts.token ?? io.env.MUSTER_TOKEN)?.trim();
  if (!token) throw usageError("missing --token <token> (an API token, mat_...)");
  // The CA that lets this login verify the coordinator is kept for the commands after it.
  const ca = explicitCa({ caFlag: globals(cmd).ca, env: io.env, cwd: io.cwd });
  const fetch = await trustingFetch(io.fetch, ca);
  const identity = await new ApiClient({ url, token, fetch, caGiven: ca !== undefined }).get("/v1/whoami", WhoAmI);
  const configPath = writableConfigPath(sourcesOf(io, cmd));
  await writeConfigFile(configPath, { url, token, ...(ca ? { ca } : {}) });
  if (opts.json) writeJson(io.stdout, CliLoginOutput, { url, configPath, identity });
  else {
    writeLine(io.stdout, `signed in to ${url} as ${identity.name} (${identity.role})`);
    writeLine(io.stdout, `saved to ${configPath}`);
  }
  await noteOverrides(io, cmd, "login");
}

async function logout(ctx: Ctx, cmd: Command, opts: { json?: boolean }): Promise<void> {
  const { io } = ctx;
  const configPath = writableConfigPath(sourcesOf(io, cmd));
  const removed = await removeStoredToken(configPath);
  if (opts.json) writeJson(io.stdout, CliLogoutOutput, { configPath, removed });
  else writeLine(io.stdout, removed ? `signed out: token removed from ${configPath}` : `no token stored in ${configPath}`);
  await noteOverrides(io, cmd, "logout");
}

/** Says on stderr when something outranks the file just written, so the result is not a surprise. */
async function noteOverrides(io: Io, cmd: Command, after: "login" | "logout"): Promise<void> {
  if (io.env.MUSTER_URL || io.env.MUSTER_TOKEN)
    writeLine(io.stderr, "note: MUSTER_URL / MUSTER_TOKEN in the environment take precedence over the stored values");
  const src = sourcesOf(io, cmd);
  if (src.configFlag ?? io.env.MUSTER_CLI_CONFIG) return;
  const project = await findProjectConfig(io.cwd);
  if (project && (await readConfigFile(project))?.token)
    writeLine(
      io.stderr,
      after === "login"
        ? `note: ${project} takes precedence in this directory`
        : `note: still signed in through ${project} in this directory`,
    );
}

function sourcesOf(io: Io, cmd: Command) {
  return { env: io.env, cwd: io.cwd, home: io.home, configFlag: globals(cmd).config };
}
