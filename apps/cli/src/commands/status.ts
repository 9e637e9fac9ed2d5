// `muster status`: the fleet at a glance.
import { CliStatusOutput, Status, TASK_STATES } from "@muster/protocol";
import type { Command } from "commander";
import { nodeTable } from "../format/nodes.js";
import { agoSince } from "../format/time.js";
import { writeJson, writeLine } from "../output.js";
import { connect, type Ctx, examples } from "./_context.js";

export function register(program: Command, ctx: Ctx): void {
  program
    .command("status")
    .description("show the coordinator, every node, and task counts by state")
    .option("--json", "print the Status body as JSON")
    .addHelpText("after", examples("muster status", "muster status --json | jq '.tasks.queued'"))
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const client = await connect(ctx, cmd);
      const status = await client.get("/v1/status", Status);
      const { io } = ctx;
      if (opts.json) return writeJson(io.stdout, CliStatusOutput, status);
      const c = status.coordinator;
      const up = agoSince(c.startedAt, io.now()).replace(/ ago$/, "");
      writeLine(io.stdout, `coordinator ${client.url}  version ${c.version}  ${c.database}  up ${up}`);
      writeLine(io.stdout);
      if (status.nodes.length) writeLine(io.stdout, nodeTable(status.nodes));
      else writeLine(io.stdout, "no nodes yet: make a join key with `muster join-keys create`");
      writeLine(io.stdout);
      writeLine(io.stdout, `tasks: ${formatCounts(status.tasks)}`);
      const b = status.budget;
      if (b.dailyUsd !== null)
        writeLine(
          io.stdout,
          `budget: $${b.spentTodayUsd.toFixed(2)} of $${b.dailyUsd.toFixed(2)} spent today${b.exhausted ? " (spent: nothing new is placed)" : ""}`,
        );
    });
}

/** "3 queued, 0 assigned, 1 running, ..." in lifecycle order. */
export function formatCounts(counts: Status["tasks"]): string {
  return TASK_STATES.map((s) => `${counts[s]} ${s}`).join(", ");
}
