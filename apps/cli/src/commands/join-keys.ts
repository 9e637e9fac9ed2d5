// `muster join-keys`: make, list and revoke the keys new nodes join with.
import {
  CliJoinKeyCreateOutput,
  CliJoinKeyListOutput,
  CliJoinKeyRevokeOutput,
  CreateJoinKeyRequest,
  JOIN_KEY_PREFIX,
  JoinKeyCreated,
  JoinKeyList,
  JoinKeyView,
  parseDuration,
  parseLabels,
  splitSecret,
} from "@muster/protocol";
import type { Command } from "commander";
import { type ApiClient, firstIssue, seg } from "../client.js";
import { usageError } from "../errors.js";
import { formatTable } from "../format/table.js";
import { formatLabels } from "../format/text.js";
import { agoSince, relativeTo } from "../format/time.js";
import { writeJson, writeLine } from "../output.js";
import { collect, connect, type Ctx, examples, parseIntOption } from "./_context.js";

interface CreateOptions {
  uses?: string;
  ttl?: string;
  label?: string[];
  description?: string;
  json?: boolean;
}

export function register(program: Command, ctx: Ctx): void {
  const keys = program
    .command("join-keys")
    .description("make, list and revoke join keys for new nodes")
    .addHelpText("after", examples("muster join-keys create --uses 1 --ttl 1h --label gpu=true", "muster join-keys ls"));

  keys
    .command("create")
    .description("make a join key; it is shown once, with the command to run on the new node")
    .option("--uses <n>", "how many nodes may join with it (default 1)")
    .option("--ttl <duration>", "how long it stays valid, e.g. 1h, 7d (default 24h)")
    .option("--label <k=v>", "label every node that joins with it (repeatable)", collect)
    .option("--description <text>", "what the key is for")
    .option("--json", "print JoinKeyCreated as JSON (it includes the key)")
    .addHelpText("after", examples("muster join-keys create --uses 3 --ttl 1h --label zone=a --description 'rack 4'"))
    .action(async (opts: CreateOptions, cmd: Command) => {
      const body = createBody(opts);
      const client = await connect(ctx, cmd);
      const created = await client.post("/v1/join-keys", body, JoinKeyCreated);
      if (opts.json) return writeJson(ctx.io.stdout, CliJoinKeyCreateOutput, created);
      printCreated(ctx, client, created);
    });

  keys
    .command("ls", { isDefault: true })
    .alias("list")
    .description("list join keys (the default)")
    .option("--json", "print the JoinKeyList body as JSON")
    .addHelpText("after", examples("muster join-keys ls"))
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const list = await (await connect(ctx, cmd)).get("/v1/join-keys", JoinKeyList);
      const { io } = ctx;
      if (opts.json) return writeJson(io.stdout, CliJoinKeyListOutput, list);
      writeLine(io.stdout, list.joinKeys.length ? joinKeyTable(list.joinKeys, io.now()) : "no join keys");
    });

  keys
    .command("revoke")
    .description("revoke a join key so no more nodes can join with it")
    .argument("<id>", "join key id (or the whole mjk_... key)")
    .option("--json", "print the revoked JoinKeyView as JSON")
    .addHelpText("after", examples("muster join-keys revoke 01JBXYZ4"))
    .action(async (idOrKey: string, opts: { json?: boolean }, cmd: Command) => {
      const id = splitSecret(JOIN_KEY_PREFIX, idOrKey)?.id ?? idOrKey;
      const view = await (await connect(ctx, cmd)).delete(`/v1/join-keys/${seg(id)}`, JoinKeyView);
      const { io } = ctx;
      if (opts.json) return writeJson(io.stdout, CliJoinKeyRevokeOutput, view);
      writeLine(io.stdout, `revoked join key ${view.id}`);
    });
}

export function createBody(opts: CreateOptions): CreateJoinKeyRequest {
  const body: Record<string, unknown> = {};
  const uses = parseIntOption("--uses", opts.uses, 1, 100_000);
  if (uses !== undefined) body.uses = uses;
  if (opts.ttl !== undefined) body.ttlMs = wrap("--ttl", () => parseDuration(opts.ttl!));
  if (opts.label?.length) body.labels = wrap("--label", () => parseLabels(opts.label!));
  if (opts.description !== undefined) body.description = opts.description;
  const parsed = CreateJoinKeyRequest.safeParse(body);
  if (!parsed.success) throw usageError(firstIssue(parsed.error).replace(/^ttlMs:/, "--ttl:"));
  return parsed.data;
}

function printCreated(ctx: Ctx, client: ApiClient, k: JoinKeyCreated): void {
  const { io } = ctx;
  const now = io.now();
  // The key alone on the first line, so `key=$(muster join-keys create | head -1)` works.
  writeLine(io.stdout, k.key);
  writeLine(io.stdout);
  writeLine(io.stdout, `join key ${k.id}: ${k.uses} use${k.uses === 1 ? "" : "s"}, expires ${relativeTo(k.expiresAt, now)}, labels ${formatLabels(k.labels)}`);
  writeLine(io.stdout, "It is shown only this once. On the new machine, run:");
  writeLine(io.stdout);
  writeLine(io.stdout, `  muster-node join ${client.url} --name <name> --key ${k.key}`);
}

export function joinKeyTable(keys: readonly JoinKeyView[], now: number): string {
  return formatTable(
    ["ID", "STATE", "USED", "LABELS", "EXPIRES", "CREATED", "DESCRIPTION"],
    keys.map((k) => [
      k.id,
      k.state,
      `${k.used}/${k.uses}`,
      formatLabels(k.labels),
      relativeTo(k.expiresAt, now),
      agoSince(k.createdAt, now),
      k.description ?? "-",
    ]),
  );
}

function wrap<T>(flag: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw usageError(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
