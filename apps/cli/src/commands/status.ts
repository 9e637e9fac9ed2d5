// `muster status`: the fleet at a glance, once or redrawn with `--watch`.
import { CliStatusOutput, parseDuration, Status, TASK_STATES } from "@muster/protocol";
import type { Command } from "commander";
import type { ApiClient } from "../client.js";
import { CLIError, usageError } from "../errors.js";
import { colorEnabled, stateColor } from "../format/color.js";
import { nodeTable } from "../format/nodes.js";
import { agoSince } from "../format/time.js";
import type { Io } from "../io.js";
import { writeJson, writeJsonLine, writeLine } from "../output.js";
import { connect, type Ctx, examples } from "./_context.js";

interface StatusOptions {
  json?: boolean;
  watch?: boolean;
  interval: string;
}

/** Cursor home, then clear the screen: each refresh replaces the last one on a terminal. */
const CLEAR = "\u001b[H\u001b[2J";

export function register(program: Command, ctx: Ctx): void {
  program
    .command("status")
    .description("show the coordinator, every node, and task counts by state")
    .option("--json", "print the Status body as JSON (with --watch: one compact document per line per refresh)")
    .option("-w, --watch", "redraw the view every --interval until Ctrl-C")
    .option("--interval <duration>", "time between refreshes with --watch, e.g. 500ms, 2s, 1m", "2s")
    .addHelpText("after", examples("muster status", "muster status --json | jq '.tasks.queued'", "muster status --watch --interval 5s"))
    .action(async (opts: StatusOptions, cmd: Command) => {
      if (!opts.watch && cmd.getOptionValueSource("interval") === "cli") throw usageError("--interval needs --watch");
      const intervalMs = watchInterval(opts.interval);
      const client = await connect(ctx, cmd);
      if (opts.watch) return watch(ctx.io, client, opts, intervalMs);
      const status = await client.get("/v1/status", Status);
      if (opts.json) return writeJson(ctx.io.stdout, CliStatusOutput, status);
      ctx.io.stdout.write(renderStatus(status, client.url, ctx.io));
    });
}

function watchInterval(text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    throw usageError(`--interval: ${(err as Error).message}`);
  }
  if (ms < 100) throw usageError(`--interval: must be at least 100ms, got "${text}"`);
  return ms;
}

/**
 * Refreshes until `io.signal` aborts (tests) or the process is interrupted. The first fetch must work;
 * later ones that cannot reach the coordinator are reported on stderr and retried at the next tick.
 */
async function watch(io: Io, client: ApiClient, opts: StatusOptions, intervalMs: number): Promise<void> {
  const tty = io.stdout.isTTY === true;
  for (let n = 0; !io.signal?.aborted; n++) {
    let status: Status | undefined;
    try {
      status = await client.get("/v1/status", Status);
    } catch (err) {
      if (n === 0 || !(err instanceof CLIError) || err.kind !== "unreachable") throw err;
      writeLine(io.stderr, `muster: ${err.line} (retrying every ${opts.interval})`);
    }
    if (status) {
      if (opts.json) writeJsonLine(io.stdout, CliStatusOutput, status);
      else {
        const view = renderStatus(status, client.url, io);
        io.stdout.write(tty ? `${CLEAR}${view}` : n === 0 ? view : `\n${view}`);
      }
    }
    if (io.signal?.aborted) break;
    await io.sleep(intervalMs);
  }
}

/** The human view: coordinator line, node table, task counts, budget; ends with a newline. */
export function renderStatus(status: Status, url: string, io: Io): string {
  const c = status.coordinator;
  const up = agoSince(c.startedAt, io.now()).replace(/ ago$/, "");
  const lines = [`coordinator ${url}  version ${c.version}  ${c.database}  up ${up}`, ""];
  if (status.nodes.length) lines.push(nodeTable(status.nodes, { paintState: stateColor(colorEnabled(io.stdout, io.env)) }));
  else lines.push("no nodes yet: make a join key with `muster join-keys create`");
  lines.push("", `tasks: ${formatCounts(status.tasks)}`);
  const b = status.budget;
  if (b.dailyUsd !== null)
    lines.push(`budget: $${b.spentTodayUsd.toFixed(2)} of $${b.dailyUsd.toFixed(2)} spent today${b.exhausted ? " (spent: nothing new is placed)" : ""}`);
  return `${lines.join("\n")}\n`;
}

/** "3 queued, 0 assigned, 1 running, ..." in lifecycle order. */
export function formatCounts(counts: Status["tasks"]): string {
  return TASK_STATES.map((s) => `${counts[s]} ${s}`).join(", ");
}
