// `muster tokens`: make, list and revoke the API tokens people and CI sign in with (admin only).
import {
  API_TOKEN_PREFIX,
  CliTokenCreateOutput,
  CliTokenListOutput,
  CliTokenRevokeOutput,
  CreateTokenRequest,
  Role,
  splitSecret,
  TokenCreated,
  TokenList,
  TokenView,
} from "@muster/protocol";
import { Option, type Command } from "commander";
import { type ApiClient, firstIssue, seg } from "../client.js";
import { usageError } from "../errors.js";
import { formatTable } from "../format/table.js";
import { agoSince } from "../format/time.js";
import { writeJson, writeLine } from "../output.js";
import { connect, type Ctx, examples } from "./_context.js";

interface CreateOptions {
  name?: string;
  role?: string;
  json?: boolean;
}

export function register(program: Command, ctx: Ctx): void {
  const tokens = program
    .command("tokens")
    .description("make, list and revoke API tokens for people and CI (admin only)")
    .addHelpText("after", examples("muster tokens create --name alice --role operator", "muster tokens ls"));

  tokens
    .command("create")
    .description("make an API token with a role; it is shown once, with the login command to use it")
    .requiredOption("--name <name>", "who or what holds it, e.g. alice or ci")
    .addOption(new Option("--role <role>", "what it may do: viewer (read only), operator (run work), admin (everything)").choices(Role.options).makeOptionMandatory())
    .option("--json", "print TokenCreated as JSON (it includes the token)")
    .addHelpText("after", examples("muster tokens create --name ci --role viewer", "muster tokens create --name alice --role admin --json"))
    .action(async (opts: CreateOptions, cmd: Command) => {
      const body = createBody(opts);
      const client = await connect(ctx, cmd);
      const created = await client.post("/v1/tokens", body, TokenCreated);
      if (opts.json) return writeJson(ctx.io.stdout, CliTokenCreateOutput, created);
      printCreated(ctx, client, created);
    });

  tokens
    .command("ls", { isDefault: true })
    .alias("list")
    .description("list API tokens, newest first, revoked ones included (the default)")
    .option("--json", "print the TokenList body as JSON")
    .addHelpText("after", examples("muster tokens ls"))
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const list = await (await connect(ctx, cmd)).get("/v1/tokens", TokenList);
      const { io } = ctx;
      if (opts.json) return writeJson(io.stdout, CliTokenListOutput, list);
      writeLine(io.stdout, list.tokens.length ? tokenTable(list.tokens, io.now()) : "no API tokens");
    });

  tokens
    .command("revoke")
    .description("revoke an API token: it and the console sessions made with it stop working at once")
    .argument("<id>", "token id (or the whole mat_... token)")
    .option("--json", "print the revoked TokenView as JSON")
    .addHelpText("after", examples("muster tokens revoke 01JBTOK1"))
    .action(async (idOrToken: string, opts: { json?: boolean }, cmd: Command) => {
      const id = splitSecret(API_TOKEN_PREFIX, idOrToken)?.id ?? idOrToken;
      const view = await (await connect(ctx, cmd)).delete(`/v1/tokens/${seg(id)}`, TokenView);
      const { io } = ctx;
      if (opts.json) return writeJson(io.stdout, CliTokenRevokeOutput, view);
      writeLine(io.stdout, `revoked API token ${view.id} (${view.name})`);
    });
}

export function createBody(opts: CreateOptions): CreateTokenRequest {
  const parsed = CreateTokenRequest.safeParse({ name: opts.name, role: opts.role });
  if (!parsed.success) throw usageError(firstIssue(parsed.error).replace(/^name:/, "--name:").replace(/^role:/, "--role:"));
  return parsed.data;
}

function printCreated(ctx: Ctx, client: ApiClient, t: TokenCreated): void {
  const { io } = ctx;
  // The token alone on the first line, so `token=$(muster tokens create ... | head -1)` works.
  writeLine(io.stdout, t.token);
  writeLine(io.stdout);
  writeLine(io.stdout, `API token ${t.id} for ${t.name}, role ${t.role}. It is shown only this once. To sign in with it:`);
  writeLine(io.stdout);
  writeLine(io.stdout, `  muster login ${client.url} --token ${t.token}`);
}

export function tokenTable(tokens: readonly TokenView[], now: number): string {
  return formatTable(
    ["ID", "NAME", "ROLE", "STATE", "CREATED", "LAST USED"],
    tokens.map((t) => [
      t.id,
      t.name,
      t.role,
      t.revokedAt ? "revoked" : "active",
      agoSince(t.createdAt, now),
      t.lastUsedAt ? agoSince(t.lastUsedAt, now) : "never",
    ]),
  );
}
