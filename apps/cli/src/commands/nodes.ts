// `muster nodes`: list, show, cordon, drain and revoke nodes.
import { CliNodeOutput, CliNodesOutput, NodeList, NodeView, parseDuration } from "@muster/protocol";
import type { Command } from "commander";
import { seg } from "../client.js";
import { colorEnabled, stateColor } from "../format/color.js";
import { nodeFields, nodeTable } from "../format/nodes.js";
import { writeJson, writeLine } from "../output.js";
import { usageError } from "../errors.js";
import { connect, type Ctx, examples } from "./_context.js";

type JsonOpt = { json?: boolean };

export function register(program: Command, ctx: Ctx): void {
  const nodes = program
    .command("nodes")
    .description("list, show, cordon, drain and revoke nodes")
    .addHelpText(
      "after",
      examples("muster nodes", "muster nodes show gpu-1", "muster nodes drain gpu-1 --deadline 1h", "muster nodes revoke nod_01JB..."),
    );

  nodes
    .command("ls", { isDefault: true })
    .alias("list")
    .description("list every node (the default)")
    .option("--json", "print the NodeList body as JSON")
    .addHelpText("after", examples("muster nodes", "muster nodes ls --json"))
    .action(async (opts: JsonOpt, cmd: Command) => {
      const list = await (await connect(ctx, cmd)).get("/v1/nodes", NodeList);
      const { io } = ctx;
      if (opts.json) return writeJson(io.stdout, CliNodesOutput, list);
      writeLine(io.stdout, list.nodes.length ? nodeTable(list.nodes, { withId: true, paintState: stateColor(colorEnabled(io.stdout, io.env)) }) : "no nodes");
    });

  nodes
    .command("show")
    .description("show one node")
    .argument("<node>", "node id or name")
    .option("--json", "print the NodeView body as JSON")
    .addHelpText("after", examples("muster nodes show gpu-1"))
    .action(async (node: string, opts: JsonOpt, cmd: Command) => {
      const view = await (await connect(ctx, cmd)).get(`/v1/nodes/${seg(node)}`, NodeView);
      const { io } = ctx;
      if (opts.json) return writeJson(io.stdout, CliNodeOutput, view);
      writeLine(io.stdout, nodeFields(view, io.now()));
    });

  nodes
    .command("revoke")
    .description("revoke a node: it is disconnected at once and can never connect again")
    .argument("<node>", "node id or name")
    .option("--json", "print the revoked NodeView as JSON")
    .addHelpText("after", examples("muster nodes revoke gpu-1"))
    .action(async (node: string, opts: JsonOpt, cmd: Command) => {
      const view = await (await connect(ctx, cmd)).post(`/v1/nodes/${seg(node)}/revoke`, {}, NodeView);
      const { io } = ctx;
      if (opts.json) return writeJson(io.stdout, CliNodeOutput, view);
      writeLine(io.stdout, `revoked node ${view.name} (${view.id})`);
    });

  const change = (name: string, description: string, path: string, done: string) =>
    nodes
      .command(name)
      .description(description)
      .argument("<node>", "node id or name")
      .option("--json", "print the NodeView as JSON")
      .addHelpText("after", examples(`muster nodes ${name} gpu-1`))
      .action(async (node: string, opts: JsonOpt, cmd: Command) => {
        const view = await (await connect(ctx, cmd)).post(`/v1/nodes/${seg(node)}/${path}`, {}, NodeView);
        if (opts.json) return writeJson(ctx.io.stdout, CliNodeOutput, view);
        writeLine(ctx.io.stdout, `${done} node ${view.name} (${view.state})`);
      });
  change("cordon", "take no new claims on this node; running ones go on", "cordon", "cordoned");
  change("uncordon", "let the node take claims again (also ends a drain)", "uncordon", "uncordoned");

  nodes
    .command("drain")
    .description("take no new claims, let running ones finish, then the node goes offline")
    .argument("<node>", "node id or name")
    .option("--deadline <duration>", "stop claims still running after this long, e.g. 30m (they are re-queued)")
    .option("--json", "print the NodeView as JSON")
    .addHelpText("after", examples("muster nodes drain gpu-1", "muster nodes drain gpu-1 --deadline 1h"))
    .action(async (node: string, opts: JsonOpt & { deadline?: string }, cmd: Command) => {
      let deadlineMs: number | null = null;
      if (opts.deadline !== undefined) {
        try {
          deadlineMs = parseDuration(opts.deadline);
        } catch (err) {
          throw usageError(`--deadline: ${(err as Error).message}`);
        }
      }
      const view = await (await connect(ctx, cmd)).post(`/v1/nodes/${seg(node)}/drain`, { deadlineMs }, NodeView);
      if (opts.json) return writeJson(ctx.io.stdout, CliNodeOutput, view);
      writeLine(ctx.io.stdout, `draining node ${view.name}${deadlineMs ? ` (deadline ${opts.deadline})` : ""}`);
    });
}
