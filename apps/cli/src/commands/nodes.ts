// `muster nodes`: list, show and revoke nodes.
import { CliNodeOutput, CliNodesOutput, NodeList, NodeView } from "@muster/protocol";
import type { Command } from "commander";
import { seg } from "../client.js";
import { nodeFields, nodeTable } from "../format/nodes.js";
import { writeJson, writeLine } from "../output.js";
import { connect, type Ctx, examples } from "./_context.js";

type JsonOpt = { json?: boolean };

export function register(program: Command, ctx: Ctx): void {
  const nodes = program
    .command("nodes")
    .description("list, show and revoke nodes")
    .addHelpText("after", examples("muster nodes", "muster nodes show gpu-1", "muster nodes revoke nod_01JB..."));

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
      writeLine(io.stdout, list.nodes.length ? nodeTable(list.nodes, { withId: true }) : "no nodes");
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
}
