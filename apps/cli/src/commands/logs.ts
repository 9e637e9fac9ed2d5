// `muster logs <id> [-f]`: a task's output, as it was streamed, every attempt in order. `-f` follows the task
// live (into the next attempt when one fails and is retried) until it ends, and exits by its outcome.
import { LogPage, TaskView } from "@muster/protocol";
import type { Command } from "commander";
import { type ApiClient, seg } from "../client.js";
import { connect, type Ctx, examples } from "./_context.js";
import { followLog } from "./_follow.js";
import { isPreset, LogPrinter, nodeNamesOf } from "./_log-printer.js";

interface LogsOptions {
  follow?: boolean;
  raw?: boolean;
  verbose?: boolean;
  json?: boolean;
}

const PAGE = 5000;

export function register(program: Command, ctx: Ctx): void {
  program
    .command("logs")
    .description("print a task's output (stdout to stdout, stderr to stderr), every attempt in order")
    .argument("<id>", "task id")
    .option("-f, --follow", "keep printing, across retried attempts, until the task ends; exit 0 only if it succeeded")
    .option("-v, --verbose", "also show starts, progress and cost as [dim] lines on stderr")
    .option("--raw", "an agent's output as it printed it (stream JSON), not its messages and tool calls")
    .option("--json", "print one LogEntry JSON per line")
    .addHelpText(
      "after",
      examples(
        "muster logs tsk_01JB...",
        "muster logs -f tsk_01JB... && echo passed",
        "muster logs -f -v tsk_01JB... 2>&1 | tee run.log",
        "muster logs --json tsk_01JB... | jq -r .record.kind",
        "muster logs --raw tsk_01JB... > transcript.jsonl",
      ) +
        "\nAn agent's output (claude, codex, opencode, pi) is shown as its messages, with tool calls and their results\n" +
        "folded to one line each on stderr; --raw prints what the agent wrote.\n" +
        "Where a new attempt begins (a retry, perhaps on another node) a line like `── attempt 2 on gpu-2 ──`\n" +
        "goes to stderr. With -f, a task that waits to be placed says why (`[waiting: no node has label gpu=true]`),\n" +
        "and one that did not succeed ends with a line like `[task failed, exit code 2]`.\n",
    )
    .action(async (id: string, opts: LogsOptions, cmd: Command) => {
      const client = await connect(ctx, cmd);
      const { io } = ctx;
      const printer = new LogPrinter(io, {
        json: opts.json === true,
        verbose: opts.verbose === true,
        rendered: !opts.raw && !opts.json && (await agentOf(client, id).then(isPreset, () => false)),
        nodeName: nodeNamesOf(client, id),
      });
      if (!opts.follow) return printPages(client, id, printer);
      const end = await followLog({
        client,
        io,
        taskId: id,
        onEntry: (e) => printer.entry(e),
        onWaiting: (pending) => printer.waiting(pending),
        onReconnect: () => opts.verbose && !opts.json && printer.meta("[stream dropped; reconnecting]"),
      });
      printer.end(end);
      // Like `submit --wait`: a follow ends with the task, and exits 0 only if the task succeeded.
      ctx.exitCode = end.state === "succeeded" ? 0 : 1;
    });
}

async function printPages(client: ApiClient, id: string, printer: LogPrinter): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const page = await client.get(`/v1/tasks/${seg(id)}/logs`, LogPage, { after, limit: PAGE });
    for (const entry of page.entries) await printer.entry(entry);
    if (!page.nextCursor || page.entries.length === 0 || page.nextCursor === after) return;
    after = page.nextCursor;
  }
}

/** The task's agent; a task that cannot be read is reported by the log request itself. */
async function agentOf(client: ApiClient, id: string): Promise<string> {
  return (await client.get(`/v1/tasks/${seg(id)}`, TaskView)).agent;
}
