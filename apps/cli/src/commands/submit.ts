// `muster submit`: queue a task; print its id (or, with --wait, wait and exit by its outcome).
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { AGENT_COST_REPORTING, CliSubmitOutput, TaskView } from "@muster/protocol";
import type { Command } from "commander";
import { type ApiClient, seg } from "../client.js";
import { taskOutcome } from "../format/tasks.js";
import { usageError } from "../errors.js";
import type { Io } from "../io.js";
import { writeJson, writeLine } from "../output.js";
import { collect, connect, type Ctx, examples, unknownOptionHints } from "./_context.js";
import { buildCreateTask, type SubmitFlags } from "./_submit-body.js";
import { followLog } from "./_follow.js";
import { isPreset, LogPrinter, nodeNamesOf } from "./_log-printer.js";
import { waitForTask } from "./_wait.js";

interface SubmitOptions extends SubmitFlags {
  wait?: boolean;
  follow?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: Ctx): void {
  const submit = program
    .command("submit")
    .description("queue a task and print its id")
    .argument("[argv...]", "for --agent exec: the command to run, after --")
    .option("--agent <name>", "exec, claude, codex, opencode, pi, or a custom template on the nodes", "exec")
    .option("--prompt <text>", "the prompt, for agents other than exec")
    .option("--prompt-file <path>", "read the prompt from a file ('-' reads stdin)")
    .option("--model <model>", "model for the agent")
    .option("--thinking <level>", "thinking level for the agent")
    .option("--label <k=v>", "run only on nodes with this label (repeatable)", collect)
    .option("--selector <expr>", "label selector, e.g. 'gpu=true,zone in (a,b),!spot'")
    .option("--priority <n>", "higher runs first, -1000..1000 (default 0)")
    .option("--timeout <duration>", "time limit per attempt, e.g. 30s, 10m, 2h (default 1h)")
    .option("--max-attempts <n>", "attempts before the task fails, 1..20 (default 3)")
    .option("--name <name>", "a name to show in listings")
    .option("--policy <policy>", "least-loaded, earliest-idle, round-robin, affinity or spread (default: the coordinator's)")
    .option("--affinity-key <key>", "affinity: prefer the node that last ran a task with this key")
    .option("--spread-label <label>", "spread: even out across the values of this node label, e.g. zone")
    .option("--group <name>", "concurrency group, e.g. repo:acme/web")
    .option("--group-limit <n>", "at most this many tasks of the group run at once")
    .option("--max-cost <usd>", "stop the agent when the cost it reports crosses this, e.g. 2.50")
    .option("--retry-on <reasons>", "failure reasons that re-queue the task: lost,interrupted,revoked,exit_code,timeout,signal,spawn_failed")
    .option("--repo <url>", "run in a git worktree of this repository (branch muster/<task id>)")
    .option("--ref <ref>", "branch, tag or commit to start from (default: the repository's default branch)")
    .option("--verify <command>", "run after the agent exits, in the workspace; its exit code decides success")
    .option("--network <none>", "none: run the worker without network (nodes with sandbox bwrap)")
    .option("--idle-timeout <duration>", "stop the worker as stuck after this long without output, e.g. 10m")
    .option("--output-cap <size>", "keep at most this much output per attempt, e.g. 10m")
    .option("--approve-before <step>", "ask a person before the task counts as done (done) or before verify (verify)")
    .option("--approve-tools <tools>", "claude only: ask a person before each call of these tools, e.g. Bash,Write, or all")
    .option("--approve-tools-timeout <duration>", "deny a tool call nobody answered within this long (default: the node's, 30m)")
    .option("--allow-unknown-agent", "queue the task even if no node has offered the agent yet (a fleet still joining)")
    .option("--idempotent", "running the task twice does no harm (allows --on-disconnect keep)")
    .option("--on-disconnect <policy>", "stop (default): a node that loses the coordinator stops the worker; keep: it goes on")
    .option("--env <K=V>", "environment variable for the agent; K alone copies it from here (repeatable)", collect)
    .option("--wait", "wait for the task to end; exit 0 only if it succeeded")
    .option("--follow", "wait, printing the task's output as it runs (like muster logs -f)")
    .option("--json", "print the TaskView as JSON (the final one with --wait)")
    .addHelpText(
      "after",
      examples(
        "muster submit -- make test",
        "muster submit --label gpu=true --timeout 10m --wait -- python train.py --epochs 3",
        "muster submit --selector 'zone in (a,b)' --policy spread --spread-label zone -- make test",
        "muster submit --group repo:acme/web --group-limit 2 --retry-on lost,exit_code -- ./ci.sh",
        'muster submit --agent claude --repo git@github.com:acme/web.git --verify "npm test" --approve-before done --prompt "fix the flaky test"',
        'muster submit --agent claude --prompt "fix the flaky test in api/" --model sonnet',
        'muster submit --agent claude --approve-tools Bash,Write --prompt "clean up the build scripts"',
        "id=$(muster submit --agent codex --prompt-file task.md) && muster logs -f $id",
      ),
    )
    .action((argv: string[], opts: SubmitOptions, cmd: Command) => submitTask(ctx, cmd, argv, opts));
  unknownOptionHints.set(submit, "put the task's command after --, e.g. muster submit -- ls -la");
}

async function submitTask(ctx: Ctx, cmd: Command, argv: string[], opts: SubmitOptions): Promise<void> {
  const { io } = ctx;
  const prompt = await readPrompt(io, opts);
  const body = buildCreateTask(opts, argv, prompt, io.env);
  const client = await connect(ctx, cmd);
  const created = await client.post("/v1/tasks", body, TaskView);
  const costWarning = maxCostWarning(body);
  if (costWarning) writeLine(io.stderr, `muster: warning: ${costWarning}`);
  if (!opts.wait && !opts.follow) {
    if (opts.json) writeJson(io.stdout, CliSubmitOutput, created);
    else writeLine(io.stdout, created.id);
    return;
  }
  if (!opts.json) writeLine(io.stdout, created.id);
  const final = opts.follow && !opts.json ? await followTask(ctx, client, created) : await waitQuietly(ctx, client, created.id, opts);
  if (opts.json) writeJson(io.stdout, CliSubmitOutput, final);
  else writeLine(io.stderr, `${final.id} ${taskOutcome(final)}`);
  ctx.exitCode = final.state === "succeeded" ? 0 : 1;
}

/** What --max-cost can and cannot do for an agent that does not report its spend as it goes. */
export function maxCostWarning(body: { agent: string; maxCostUsd?: number | undefined }): string | null {
  if (body.maxCostUsd === undefined || !isPreset(body.agent)) return null;
  const reporting = AGENT_COST_REPORTING[body.agent as keyof typeof AGENT_COST_REPORTING];
  if (reporting === "final")
    return `${body.agent} reports its cost only when it finishes: --max-cost fails the task then (reason budget) but cannot stop it sooner`;
  if (reporting === "none") return `${body.agent} reports no cost: --max-cost has no effect on it (use --timeout to bound it)`;
  return null;
}

/** Polls until the task ends, saying on stderr why it waits whenever that appears or changes. */
function waitQuietly(ctx: Ctx, client: ApiClient, id: string, opts: SubmitOptions): Promise<TaskView> {
  let said: string | null = null;
  return waitForTask(client, ctx.io, id, {
    onTask: (t) => {
      if (opts.json || t.pending === said) return;
      said = t.pending;
      if (t.pending !== null) writeLine(ctx.io.stderr, `waiting: ${t.pending}`);
    },
  });
}

/** Streams the task's output as `muster logs -f` does, then reads how it ended. */
async function followTask(ctx: Ctx, client: ApiClient, task: TaskView): Promise<TaskView> {
  const id = task.id;
  const printer = new LogPrinter(ctx.io, { json: false, verbose: false, rendered: isPreset(task.agent), nodeName: nodeNamesOf(client, id) });
  await followLog({
    client,
    io: ctx.io,
    taskId: id,
    onEntry: (e) => printer.entry(e),
    onWaiting: (pending) => printer.waiting(pending),
  });
  return client.get(`/v1/tasks/${seg(id)}`, TaskView);
}

async function readPrompt(io: Io, opts: SubmitOptions): Promise<string | undefined> {
  if (opts.promptFile === undefined) return opts.prompt;
  if (opts.prompt !== undefined) throw usageError("use --prompt or --prompt-file, not both");
  try {
    return opts.promptFile === "-" ? await io.readStdin() : await readFile(resolve(io.cwd, opts.promptFile), "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));
    throw usageError(`--prompt-file: cannot read ${opts.promptFile}: ${code}`);
  }
}
