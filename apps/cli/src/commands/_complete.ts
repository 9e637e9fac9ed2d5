// `muster __complete <kind> [prefix]`: the values a completion script offers that only the coordinator knows
// (node names and ids, recent task ids, pending ask ids, the agents the nodes offer), one per line. It runs on
// every Tab press, so it answers within a short time limit and says nothing at all when it cannot: a shell
// must never show an error or hang because the coordinator is down or nobody is signed in.
import { AskList, NodeList, TaskList } from "@muster/protocol";
import { Argument, type Command, type Option } from "commander";
import type { ApiClient } from "../client.js";
import { connect, type Ctx, examples } from "./_context.js";

export const COMPLETE_COMMAND = "__complete";

export const VALUE_KINDS = ["nodes", "tasks", "asks", "agents"] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

/** Each Tab press waits at most this long for the coordinator. */
export const COMPLETE_TIMEOUT_MS = 2000;
/** Task ids offered: the newest ones, which are the ones people type. */
export const RECENT_TASKS = 50;

const agentsOf = (list: NodeList) => list.nodes.flatMap((n) => n.agents.map((a) => a.name));

const CANDIDATES: Record<ValueKind, (client: ApiClient) => Promise<string[]>> = {
  nodes: async (client) => (await client.get("/v1/nodes", NodeList)).nodes.flatMap((n) => [n.name, n.id]),
  tasks: async (client) => (await client.get("/v1/tasks", TaskList, { limit: RECENT_TASKS })).tasks.map((t) => t.id),
  asks: async (client) => (await client.get("/v1/asks", AskList, { state: "pending", limit: 500 })).asks.map((a) => a.id),
  agents: async (client) => agentsOf(await client.get("/v1/nodes", NodeList)),
};

/**
 * What a command argument names, read off the command tree so every command that takes a node, a task or an ask
 * completes it, as the completion scripts are generated from that tree.
 */
export function argumentKind(arg: Argument): ValueKind | undefined {
  switch (arg.description) {
    case "node id or name":
      return "nodes";
    case "task id":
      return "tasks";
    case "ask id":
      return "asks";
    default:
      return undefined;
  }
}

/** What the value of an option names (`--node <id or name>`, `--agent <name>`, `--task <id>`). */
export function optionKind(opt: Option): ValueKind | undefined {
  if (!(opt.required || opt.optional)) return undefined;
  return opt.long === undefined ? undefined : OPTION_KINDS[opt.long];
}

const OPTION_KINDS: Record<string, ValueKind | undefined> = { "--node": "nodes", "--agent": "agents", "--task": "tasks" };

export function register(program: Command, ctx: Ctx): void {
  program
    .command(COMPLETE_COMMAND, { hidden: true })
    .description("print the values that complete a word, one per line (used by the completion scripts)")
    .addArgument(new Argument("<kind>", "what to complete").choices(VALUE_KINDS))
    .argument("[prefix]", "only values starting with this", "")
    .addHelpText("after", examples("muster __complete nodes gpu", "muster __complete tasks"))
    .action(async (kind: ValueKind, prefix: string, _opts: unknown, cmd: Command) => {
      let values: string[];
      try {
        values = await CANDIDATES[kind](await connect(ctx, cmd, { timeoutMs: COMPLETE_TIMEOUT_MS }));
      } catch {
        return;
      }
      const matching = [...new Set(values)].filter((v) => v.startsWith(prefix));
      if (matching.length) ctx.io.stdout.write(`${matching.join("\n")}\n`);
    });
}
