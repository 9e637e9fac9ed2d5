// `muster asks`, `muster asks wait`, `muster answer <id> <text>`, `muster tell <task> <message>`: the person's side
// of asks and tells.
import { AskList, AskState, AskView, CliAskOutput, CliAsksOutput, CliTellOutput, formatDuration, parseDuration, TellView } from "@muster/protocol";
import { type Command, Option } from "commander";
import { type ApiClient, seg } from "../client.js";
import { askFields, askTable } from "../format/asks.js";
import { CLIError, usageError } from "../errors.js";
import type { Io } from "../io.js";
import { writeJson, writeLine } from "../output.js";
import { connect, type Ctx, examples, parseIntOption } from "./_context.js";

type JsonOpt = { json?: boolean };

interface ListOptions extends JsonOpt {
  state?: string;
  task?: string;
  limit?: string;
}

/** One long poll asks the coordinator to hold the request this long (it allows up to 2 minutes). */
const POLL_MS = 60_000;
/** Room for the coordinator to answer a long poll before the request itself times out. */
const POLL_SLACK_MS = 15_000;
/** While the coordinator is unreachable, try again this often, and give up after this long. */
const RETRY_MS = 1000;
const GIVE_UP_MS = 60_000;

export function register(program: Command, ctx: Ctx): void {
  const asks = program
    .command("asks")
    .description("list the questions workers asked, or wait for one")
    .addHelpText("after", examples("muster asks", "muster asks --state pending", "muster asks wait --timeout 10m"));

  asks
    .command("ls", { isDefault: true })
    .alias("list")
    .description("list asks, newest first (the default)")
    .addOption(new Option("--state <state>", "only asks in this state").choices(AskState.options))
    .option("--task <id>", "only asks of this task")
    .option("--limit <n>", "at most this many asks (1-500)", "100")
    .option("--json", "print the AskList body as JSON")
    .addHelpText("after", examples("muster asks", "muster asks --state pending --task tsk_01JB...", "muster asks ls --json"))
    .action(async (opts: ListOptions, cmd: Command) => {
      const limit = parseIntOption("--limit", opts.limit, 1, 500);
      const list = await (await connect(ctx, cmd)).get("/v1/asks", AskList, { state: opts.state, taskId: opts.task, limit });
      const { io } = ctx;
      if (opts.json) return writeJson(io.stdout, CliAsksOutput, list);
      writeLine(io.stdout, list.asks.length ? askTable(list.asks, io.now()) : "no asks");
    });

  asks
    .command("wait")
    .description("wait until a worker asks something, print the ask and exit (1 on timeout)")
    .option("--timeout <duration>", "give up after this long, e.g. 10m (default: wait until one comes)")
    .option("--json", "print the AskView as JSON")
    .addHelpText("after", examples("muster asks wait", "muster asks wait --timeout 10m --json | jq -r .id"))
    .action(async (opts: JsonOpt & { timeout?: string }, cmd: Command) => {
      const timeoutMs = durationOption("--timeout", opts.timeout);
      const client = await connect(ctx, cmd, { timeoutMs: POLL_MS + POLL_SLACK_MS });
      const ask = await waitForAsk(client, ctx.io, timeoutMs);
      if (opts.json) return writeJson(ctx.io.stdout, CliAskOutput, ask);
      writeLine(ctx.io.stdout, askFields(ask, ctx.io.now()));
    });

  answerCommand(program, ctx);
  tellCommand(program, ctx);
}

function answerCommand(program: Command, ctx: Ctx): void {
  program
    .command("answer")
    .description("answer a worker's ask; the worker goes on with the answer")
    .argument("<id>", "ask id")
    .argument("<text>", "the answer (one of the ask's options, when it has any; allow|deny|allow-for-task for a tool call)")
    .option("--reason <text>", "why; a denied tool call's agent is told this")
    .option("--force", "change an answer already given")
    .option("--json", "print the answered AskView as JSON")
    .addHelpText(
      "after",
      examples(
        "muster answer ask_01JB... yes",
        'muster answer ask_01JB... "use the staging database"',
        'muster answer ask_01JB... deny --reason "no network calls from this task"',
        "muster answer ask_01JB... allow-for-task",
      ),
    )
    .action(async (id: string, text: string, opts: JsonOpt & { force?: boolean; reason?: string }, cmd: Command) => {
      if (opts.reason !== undefined && opts.reason.trim() === "") throw usageError("--reason: must not be empty");
      const body = { answer: text, force: opts.force === true, ...(opts.reason !== undefined ? { reason: opts.reason } : {}) };
      const view = await (await connect(ctx, cmd)).post(`/v1/asks/${seg(id)}/answer`, body, AskView);
      if (opts.json) return writeJson(ctx.io.stdout, CliAskOutput, view);
      writeLine(ctx.io.stdout, `answered ${view.id}: ${view.answer ?? text}${view.reason ? ` (${view.reason})` : ""}`);
    });
}

function tellCommand(program: Command, ctx: Ctx): void {
  program
    .command("tell")
    .description("send a running task's worker a message; it reads it with muster told")
    .argument("<task>", "task id")
    .argument("<message>", "what to tell the worker")
    .option("--json", "print the TellView as JSON")
    .addHelpText("after", examples('muster tell tsk_01JB... "skip the flaky e2e suite"'))
    .action(async (task: string, message: string, opts: JsonOpt, cmd: Command) => {
      const view = await (await connect(ctx, cmd)).post(`/v1/tasks/${seg(task)}/tell`, { text: message }, TellView);
      if (opts.json) return writeJson(ctx.io.stdout, CliTellOutput, view);
      writeLine(ctx.io.stdout, `told ${view.taskId} (${view.id}, ${view.state})`);
    });
}

function durationOption(flag: string, text: string | undefined): number | null {
  if (text === undefined) return null;
  try {
    return parseDuration(text);
  } catch (err) {
    throw usageError(`${flag}: ${(err as Error).message}`);
  }
}

/**
 * Long-polls for pending asks until one comes or `timeoutMs` passes; returns the oldest pending one. A coordinator
 * that is briefly unreachable (a restart) does not end the wait.
 */
export async function waitForAsk(client: ApiClient, io: Io, timeoutMs: number | null): Promise<AskView> {
  const start = io.now();
  const deadline = timeoutMs === null ? Number.POSITIVE_INFINITY : start + timeoutMs;
  let downSince: number | undefined;
  for (;;) {
    const waitMs = Math.max(0, Math.min(POLL_MS, deadline - io.now()));
    const polledAt = io.now();
    try {
      const { asks } = await client.get("/v1/asks", AskList, { state: "pending", waitMs, limit: 500 });
      downSince = undefined;
      const oldest = asks.at(-1);
      if (oldest) return oldest;
    } catch (err) {
      const transient = err instanceof CLIError && (err.kind === "unreachable" || err.serverCode === "unavailable");
      if (!transient) throw err;
      downSince ??= io.now();
      if (io.now() - downSince >= GIVE_UP_MS) throw err;
    }
    if (io.now() >= deadline) throw new CLIError("failure", `no pending ask within ${formatDuration(timeoutMs ?? 0)}`);
    // A poll that came back early (an error, a restarting coordinator) must not turn into a busy loop.
    const early = waitMs - (io.now() - polledAt);
    if (early > 0) await io.sleep(Math.min(early, RETRY_MS, deadline - io.now()));
  }
}
