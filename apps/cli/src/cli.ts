// Builds the `muster` program, loads only the command module that argv names, and turns every outcome
// into an exit code and at most one `muster: ...` line on stderr.
import { Command, CommanderError } from "commander";
import { CliErrorOutput, MUSTER_VERSION } from "@muster/protocol";
import { type Ctx, examples, type Register, unknownOptionHints } from "./commands/_context.js";
import { CLIError, toCLIError } from "./errors.js";
import type { Io } from "./io.js";

type Loader = () => Promise<{ register: Register }>;

const auth: Loader = () => import("./commands/auth.js");
const tasks: Loader = () => import("./commands/tasks.js");
const worker: Loader = () => import("./commands/ask.js");
const asks: Loader = () => import("./commands/asks.js");
const goals: Loader = () => import("./commands/goal.js");

/** Top-level command name -> the module that registers it (one module may own several names). */
const COMMANDS: Record<string, Loader> = {
  login: auth,
  logout: auth,
  status: () => import("./commands/status.js"),
  nodes: () => import("./commands/nodes.js"),
  tasks,
  task: tasks,
  cancel: tasks,
  retry: tasks,
  logs: () => import("./commands/logs.js"),
  submit: () => import("./commands/submit.js"),
  "join-keys": () => import("./commands/join-keys.js"),
  tokens: () => import("./commands/tokens.js"),
  asks,
  answer: asks,
  tell: asks,
  ask: worker,
  told: worker,
  pulse: () => import("./commands/pulse.js"),
  goal: goals,
  playbook: goals,
  sensor: () => import("./commands/sensor.js"),
  journal: () => import("./commands/journal.js"),
  doctor: () => import("./commands/doctor.js"),
  completion: () => import("./commands/completion.js"),
  __complete: () => import("./commands/_complete.js"),
};

/** Commands that need every other command registered (the completion script lists them all). */
const WHOLE_PROGRAM = new Set(["completion"]);

/** Global options that take a value, so the command name is not mistaken for one. */
const VALUE_OPTIONS = new Set(["--config", "--ca"]);

export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const ctx: Ctx = { io, exitCode: 0 };
  try {
    const program = await buildProgram(ctx, argv);
    checkHelpTarget(program, argv);
    await program.parseAsync([...argv], { from: "user" });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof HelpShown) return err.exitCode;
    return report(toCLIError(err), io, wantsJson(argv));
  }
}

/**
 * The program with the command modules `argv` names registered (every module when it names none, or a
 * command that needs them all), its exits turned into throws. Tests walk it with an empty argv.
 */
export async function buildProgram(ctx: Ctx, argv: readonly string[] = []): Promise<Command> {
  const program = createProgram(ctx);
  const name = commandName(argv);
  const loaders = name !== undefined && COMMANDS[name] && !WHOLE_PROGRAM.has(name) ? [COMMANDS[name]] : [...new Set(Object.values(COMMANDS))];
  for (const mod of await Promise.all(loaders.map((load) => load()))) mod.register(program, ctx);
  overrideExits(program, argv);
  return program;
}

function createProgram(ctx: Ctx): Command {
  const { io } = ctx;
  return new Command("muster")
    .description("Run AI coding agents across a fleet of machines: the fleet CLI.")
    .version(MUSTER_VERSION, "-V, --version", "print the CLI version")
    .option("--config <path>", "CLI config file (default: nearest .muster/cli.json, else ~/.config/muster/cli.json)")
    .option("--ca <file>", "PEM file of a private CA to trust for the coordinator's TLS certificate (default: $MUSTER_CA, else the one login stored)")
    .option("--no-color", "never colour the output (as does NO_COLOR=1; colour is only used on a terminal)")
    .helpOption("-h, --help", "show help")
    .helpCommand("help [command]", "show help for a command")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Usage errors are reported by `report`, as one line.
      outputError: () => undefined,
    })
    .hook("preAction", (_program, action) => {
      // `--no-color` means what NO_COLOR means, so every colour decision (colorEnabled) sees one switch.
      if (action.optsWithGlobals<{ color?: boolean }>().color === false) ctx.io = { ...ctx.io, env: { ...ctx.io.env, NO_COLOR: "1" } };
    })
    .addHelpText(
      "after",
      examples(
        "muster login http://localhost:7391 --token mat_...",
        "muster status",
        "muster submit --agent exec --wait -- make test",
        "muster logs -f tsk_01JB...",
        "muster help nodes",
      ) +
        "\nSign in with `muster login <url> --token <token>`, or set MUSTER_URL and MUSTER_TOKEN.\n" +
        "Commands that print results take --json for machine-readable output. Exit codes: 0 ok, 1 failure,\n" +
        "2 usage, 3 coordinator unreachable, 4 not signed in or token refused.\n",
    );
}

/** The first operand, skipping global options and their values. */
export function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") return undefined;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

/**
 * `muster help bogus` (or `muster nodes help bogus`): commander would print the whole help on stderr; one
 * line says what is wrong. Only the command words leading argv are looked at.
 */
function checkHelpTarget(program: Command, argv: readonly string[]): void {
  let cmd = program;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (arg === "--no-color" || arg.startsWith("--config=")) continue;
    else if (arg.startsWith("-")) return;
    else if (arg === "help" && cmd.commands.length) {
      const target = argv[i + 1];
      if (target === undefined || target.startsWith("-") || findSub(cmd, target)) return;
      throw new CLIError("usage", `unknown command '${target}' (see ${commandPath(cmd)} --help)`);
    } else {
      const sub = findSub(cmd, arg);
      if (!sub) return;
      cmd = sub;
    }
  }
}

const findSub = (cmd: Command, name: string) => cmd.commands.find((c) => c.name() === name || c.aliases().includes(name));

function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}

/** Help and version end the run with their own code; thrown so nothing after them runs. */
class HelpShown extends Error {
  constructor(readonly exitCode: number) {
    super("help shown");
  }
}

/** Makes commander throw instead of exiting, with the command's own `--help` in the message. */
function overrideExits(cmd: Command, argv: readonly string[]): void {
  const path = commandPath(cmd);
  cmd.exitOverride((err: CommanderError) => {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") throw new HelpShown(0);
    // `muster help [command]` exits 0; help printed because no subcommand was given (exit code 1 from
    // commander) is a usage error, but the help on stderr says it all.
    if (err.code === "commander.help") throw new HelpShown(err.exitCode === 0 ? 0 : 2);
    if (err.code === "commander.excessArguments" && ranAsDefault(cmd, argv)) throw unknownSubcommand(cmd);
    const message = err.message.replace(/^error:\s*/i, "").replace(/\s*\n\s*/g, " ");
    const hint = (err.code === "commander.unknownOption" && unknownOptionHints.get(cmd)) || `see ${path} --help`;
    throw new CLIError("usage", `${message} (${hint})`);
  });
  for (const sub of cmd.commands) overrideExits(sub, argv);
}

/** Whether `cmd` is its parent's default subcommand (`nodes` -> `nodes ls`) and argv did not name it. */
function ranAsDefault(cmd: Command, argv: readonly string[]): boolean {
  const parent = cmd.parent as (Command & { _defaultCommandName?: string | null }) | null;
  if (!parent || parent._defaultCommandName !== cmd.name()) return false;
  const names = new Set([cmd.name(), ...cmd.aliases()]);
  return !argv.some((a) => names.has(a));
}

/** `muster nodes drian gpu-1` reached `nodes ls` with extra words: the first one was meant as a subcommand. */
function unknownSubcommand(cmd: Command): CLIError {
  const parent = cmd.parent!;
  const path = commandPath(parent);
  const subs = parent.commands.map((c) => c.name()).join(", ");
  return new CLIError("usage", `unknown command '${cmd.args[0]}' for ${path} (one of ${subs}; see ${path} --help)`);
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

function report(err: CLIError, io: Io, json: boolean): number {
  io.stderr.write(`muster: ${err.line}\n`);
  if (json) {
    const body = CliErrorOutput.parse({ error: { code: err.serverCode ?? err.kind, message: err.message } });
    io.stdout.write(`${JSON.stringify(body)}\n`);
  }
  return err.exitCode;
}
