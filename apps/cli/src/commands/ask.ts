// `muster ask` and `muster told`: run inside a worker, they reach a person through the worker's node.
import { CliAskAnswerOutput, CliToldOutput } from "@muster/protocol";
import type { Command } from "commander";
import { callNode, localRequest, workerEndpoint } from "../local.js";
import { CLIError } from "../errors.js";
import { writeJson, writeLine } from "../output.js";
import { type Ctx, examples } from "./_context.js";

interface AskOptions {
  options?: string;
  gate?: string;
  json?: boolean;
}

/** "yes, no,,maybe" -> ["yes", "no", "maybe"]. */
export function splitOptions(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
}

export function register(program: Command, ctx: Ctx): void {
  program
    .command("ask")
    .description("ask a person and wait for the answer (inside a worker); prints only the answer")
    .argument("<question>", "what to ask")
    .option("--options <list>", "the answers allowed, comma-separated (free text when absent)")
    .option("--gate <name>", "the irreversible step this approves, e.g. merge, deploy, delete")
    .option("--json", "print {askId, answer, answeredBy} as JSON")
    .addHelpText(
      "after",
      examples('muster ask "Which database should the migration target?"', 'muster ask "Merge to main?" --options yes,no --gate merge'),
    )
    .action(async (question: string, opts: AskOptions) => {
      const endpoint = workerEndpoint(ctx.io.env, "ask");
      const request = localRequest({ op: "ask", secret: endpoint.secret, question, options: splitOptions(opts.options), gate: opts.gate ?? null });
      const response = await callNode(endpoint, request);
      if (response.op !== "answer") throw new CLIError("failure", `unexpected response from the node: ${response.op}`);
      const { askId, answer, answeredBy } = response;
      if (opts.json) return writeJson(ctx.io.stdout, CliAskAnswerOutput, { askId, answer, answeredBy });
      writeLine(ctx.io.stdout, answer);
    });

  program
    .command("told")
    .description("print the messages people sent this worker with muster tell, each only once (inside a worker)")
    .option("--json", "print {messages: [{text, from}]} as JSON")
    .addHelpText("after", examples("muster told", "muster told --json"))
    .action(async (opts: { json?: boolean }) => {
      const endpoint = workerEndpoint(ctx.io.env, "told");
      const response = await callNode(endpoint, localRequest({ op: "told", secret: endpoint.secret }));
      if (response.op !== "told") throw new CLIError("failure", `unexpected response from the node: ${response.op}`);
      if (opts.json) return writeJson(ctx.io.stdout, CliToldOutput, { messages: response.messages });
      for (const { text } of response.messages) writeLine(ctx.io.stdout, text);
    });
}
