// `muster goal` and `muster playbook`: what the pulse works toward, and how the team wants it done.
import { GoalId, GoalList, GoalText, GoalView, PlaybookText, PlaybookView } from "@muster/protocol";
import type { Command } from "commander";
import { seg } from "../client.js";
import { formatTable } from "../format/table.js";
import { agoSince } from "../format/time.js";
import { writeJson, writeLine } from "../output.js";
import { connect, type Ctx, examples, parseIntOption } from "./_context.js";
import { checked, readText } from "./_pulse-input.js";

export function register(program: Command, ctx: Ctx): void {
  const { io } = ctx;
  const goal = program
    .command("goal")
    .description("the pulse's goals: write, list, show, archive")
    .addHelpText("after", examples("muster goal write ci-green -f goal.md", "echo 'main stays green' | muster goal write ci-green -", "muster goal ls"));

  goal
    .command("write")
    .description("create or replace a goal (its text from -f FILE or stdin)")
    .addHelpText("after", examples("muster goal write ci-green -f goal.md", "echo 'main stays green' | muster goal write ci-green -"))
    .argument("<id>", "goal id: letters, digits, '.', '_', '-'")
    .argument("[dash]", "'-' reads the text from stdin")
    .option("-f, --file <file>", "read the text from FILE ('-' for stdin)")
    .option("--json", "print the GoalView as JSON")
    .action(async (id: string, dash: string | undefined, opts: { file?: string; json?: boolean }, cmd: Command) => {
      const goalId = checked(GoalId, id, "goal id");
      const text = checked(GoalText, await readText(io, opts.file ?? (dash === "-" ? "-" : undefined)), "goal");
      const view = await (await connect(ctx, cmd)).post(`/v1/goals/${seg(goalId)}`, { text }, GoalView);
      if (opts.json) return writeJson(io.stdout, GoalView, view);
      writeLine(io.stdout, `wrote goal ${view.id}`);
    });

  goal
    .command("ls", { isDefault: true })
    .alias("list")
    .description("list active goals (--all: archived ones too)")
    .addHelpText("after", examples("muster goal ls", "muster goal ls --all --json"))
    .option("--all", "include archived goals")
    .option("--json", "print the GoalList as JSON")
    .action(async (opts: { all?: boolean; json?: boolean }, cmd: Command) => {
      const list = await (await connect(ctx, cmd)).get("/v1/goals", GoalList, { all: opts.all ? "true" : undefined });
      if (opts.json) return writeJson(io.stdout, GoalList, list);
      const rows = list.goals.map((g) => [g.id, g.state, agoSince(g.updatedAt, io.now()), g.text.split("\n")[0]!.slice(0, 80)]);
      writeLine(io.stdout, rows.length ? formatTable(["ID", "STATE", "UPDATED", "TEXT"], rows) : "no goals");
    });

  goal
    .command("show")
    .description("show one goal")
    .addHelpText("after", examples("muster goal show ci-green"))
    .argument("<id>", "goal id")
    .option("--json", "print the GoalView as JSON")
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const view = await (await connect(ctx, cmd)).get(`/v1/goals/${seg(checked(GoalId, id, "goal id"))}`, GoalView);
      if (opts.json) return writeJson(io.stdout, GoalView, view);
      writeLine(io.stdout, `${view.id} (${view.state}, updated ${agoSince(view.updatedAt, io.now())})\n\n${view.text}`);
    });

  goal
    .command("archive")
    .description("archive a goal: the pulse no longer works toward it")
    .addHelpText("after", examples("muster goal archive setup"))
    .argument("<id>", "goal id")
    .option("--json", "print the GoalView as JSON")
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const view = await (await connect(ctx, cmd)).post(`/v1/goals/${seg(checked(GoalId, id, "goal id"))}/archive`, {}, GoalView);
      if (opts.json) return writeJson(io.stdout, GoalView, view);
      writeLine(io.stdout, `archived goal ${view.id}`);
    });

  const playbook = program
    .command("playbook")
    .description("the pulse's PLAYBOOK: how the team wants the fleet to work (versioned)")
    .addHelpText("after", examples("muster playbook write -f PLAYBOOK.md", "muster playbook show", "muster playbook show --version 3"));

  playbook
    .command("write")
    .description("write a new PLAYBOOK version (from -f FILE or stdin); older versions are kept")
    .addHelpText("after", examples("muster playbook write -f PLAYBOOK.md", "muster playbook write - < PLAYBOOK.md"))
    .argument("[dash]", "'-' reads the text from stdin")
    .option("-f, --file <file>", "read the PLAYBOOK from FILE ('-' for stdin)")
    .option("--json", "print the PlaybookView as JSON")
    .action(async (dash: string | undefined, opts: { file?: string; json?: boolean }, cmd: Command) => {
      const text = checked(PlaybookText, await readText(io, opts.file ?? (dash === "-" ? "-" : undefined)), "PLAYBOOK");
      const view = await (await connect(ctx, cmd)).post("/v1/playbook", { text }, PlaybookView);
      if (opts.json) return writeJson(io.stdout, PlaybookView, view);
      writeLine(io.stdout, `wrote PLAYBOOK version ${view.version}`);
    });

  playbook
    .command("show", { isDefault: true })
    .description("print the PLAYBOOK (the newest, or --version N)")
    .addHelpText("after", examples("muster playbook show", "muster playbook show --version 2"))
    .option("--version <n>", "an earlier version")
    .option("--json", "print the PlaybookView as JSON")
    .action(async (opts: { version?: string; json?: boolean }, cmd: Command) => {
      const version = parseIntOption("--version", opts.version, 1, 2 ** 31 - 1);
      const view = await (await connect(ctx, cmd)).get("/v1/playbook", PlaybookView, { version });
      if (opts.json) return writeJson(io.stdout, PlaybookView, view);
      io.stdout.write(view.text.endsWith("\n") ? view.text : `${view.text}\n`);
      writeLine(io.stderr, `PLAYBOOK version ${view.version} by ${view.createdBy ?? "-"}, ${agoSince(view.createdAt, io.now())}; kept: ${view.versions.join(", ")}`);
    });
}
