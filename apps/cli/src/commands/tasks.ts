// `muster tasks`, `muster task <id>`, `muster cancel <id>`, `muster retry <id>`.
import { CliCancelOutput, CliRetryOutput, CliTaskOutput, CliTasksOutput, TASK_STATES, TaskDetail, TaskList, TaskView } from "@muster/protocol";
import { type Command, Option } from "commander";
import { seg } from "../client.js";
import { colorEnabled, stateColor } from "../format/color.js";
import { taskDetail, taskTable } from "../format/tasks.js";
import { writeJson, writeLine } from "../output.js";
import { connect, type Ctx, examples, parseIntOption } from "./_context.js";

interface ListOptions {
  state?: string;
  agent?: string;
  node?: string;
  label?: string;
  limit?: string;
  cursor?: string;
  json?: boolean;
}

export function register(program: Command, ctx: Ctx): void {
  program
    .command("tasks")
    .description("list tasks, newest first")
    .addOption(new Option("--state <state>", "only tasks in this state").choices(TASK_STATES))
    .option("--agent <name>", "only tasks of this agent")
    .option("--node <id or name>", "only tasks whose current or last attempt is on this node")
    .option("--label <k=v or k>", "only tasks whose selector requires this label")
    .option("--limit <n>", "at most this many tasks (1-500)", "100")
    .option("--cursor <cursor>", "continue a previous listing (printed when there are more)")
    .option("--json", "print the TaskList body as JSON")
    .addHelpText("after", examples(
        "muster tasks",
        "muster tasks --state running",
        "muster tasks --agent claude --node gpu-1",
        "muster tasks --label gpu=true --state queued",
        "muster tasks --state failed --limit 10 --json",
      ))
    .action((opts: ListOptions, cmd: Command) => listTasks(ctx, cmd, opts));

  program
    .command("task")
    .description("show one task and its attempts")
    .argument("<id>", "task id")
    .option("--json", "print the TaskDetail body as JSON")
    .addHelpText("after", examples("muster task tsk_01JB...", "muster task tsk_01JB... --json | jq '.claims'"))
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const detail = await (await connect(ctx, cmd)).get(`/v1/tasks/${seg(id)}`, TaskDetail);
      const { io } = ctx;
      if (opts.json) return writeJson(io.stdout, CliTaskOutput, detail);
      writeLine(io.stdout, taskDetail(detail, io.now()));
    });

  program
    .command("cancel")
    .description("cancel a task; a running attempt is stopped")
    .argument("<id>", "task id")
    .option("--json", "print the TaskView body as JSON")
    .addHelpText("after", examples("muster cancel tsk_01JB..."))
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const view = await (await connect(ctx, cmd)).post(`/v1/tasks/${seg(id)}/cancel`, {}, TaskView);
      const { io } = ctx;
      if (opts.json) return writeJson(io.stdout, CliCancelOutput, view);
      writeLine(io.stdout, `${view.id} ${view.state}`);
    });

  retryCommand(program, ctx);
}

function retryCommand(program: Command, ctx: Ctx): void {
  program
    .command("retry")
    .description("put a finished task back in the queue as a new attempt")
    .argument("<id>", "task id")
    .option("--json", "print the TaskView body as JSON")
    .addHelpText("after", examples("muster retry tsk_01JB..."))
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const view = await (await connect(ctx, cmd)).post(`/v1/tasks/${seg(id)}/retry`, {}, TaskView);
      const { io } = ctx;
      if (opts.json) return writeJson(io.stdout, CliRetryOutput, view);
      writeLine(io.stdout, `${view.id} ${view.state}${view.pending ? `: ${view.pending}` : ""}`);
    });
}

async function listTasks(ctx: Ctx, cmd: Command, opts: ListOptions): Promise<void> {
  const limit = parseIntOption("--limit", opts.limit, 1, 500);
  const client = await connect(ctx, cmd);
  const filters = { state: opts.state, agent: opts.agent, node: opts.node, label: opts.label };
  const list = await client.get("/v1/tasks", TaskList, { ...filters, limit, cursor: opts.cursor });
  const { io } = ctx;
  if (opts.json) return writeJson(io.stdout, CliTasksOutput, list);
  writeLine(io.stdout, list.tasks.length ? taskTable(list.tasks, io.now(), stateColor(colorEnabled(io.stdout, io.env))) : "no tasks");
  if (list.nextCursor) {
    const again = Object.entries(filters).flatMap(([k, v]) => (v ? [` --${k} ${v}`] : [])).join("");
    writeLine(io.stderr, `more: muster tasks${again} --limit ${limit} --cursor ${list.nextCursor}`);
  }
}
