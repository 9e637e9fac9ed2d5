// Builds the `muster` program, loads only the command module that argv names, and turns every outcome
// into an exit code and at most one `muster: ...` line on stderr.
import { Command, CommanderError } from "commander";
import { CliErrorOutput, MUSTER_VERSION } from "@muster/protocol";
import { type Ctx, type Register, unknownOptionHints } from "./commands/_context.js";
import { CLIError, toCLIError } from "./errors.js";
import type { Io } from "./io.js";

type Loader = () => Promise<{ register: Register }>;

const auth: Loader = () => import("./commands/auth.js");
const tasks: Loader = () => import("./commands/tasks.js");
const worker: Loader = () => import("./commands/ask.js");
const asks: Loader = () => import("./commands/asks.js");

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
  asks,
  answer: asks,
  tell: asks,
  ask: worker,
  told: worker,
  doctor: () => import("./commands/doctor.js"),
  completion: () => import("./commands/completion.js"),
};

/** Commands that need every other command registered (the completion script lists them all). */
const WHOLE_PROGRAM = new Set(["completion"]);

/** Global options that take a value, so the command name is not mistaken for one. */
const VALUE_OPTIONS = new Set(["--config"]);

export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const ctx: Ctx = { io, exitCode: 0 };
  try {
    const program = createProgram(io);
    const name = commandName(argv);
    const loaders = name !== undefined && COMMANDS[name] && !WHOLE_PROGRAM.has(name) ? [COMMANDS[name]] : [...new Set(Object.values(COMMANDS))];
    for (const mod of await Promise.all(loaders.map((load) => load()))) mod.register(program, ctx);
    overrideExits(program);
    await program.parseAsync([...argv], { from: "user" });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof HelpShown) return err.exitCode;
    return report(toCLIError(err), io, wantsJson(argv));
  }
}

function createProgram(io: Io): Command {
  return new Command("muster")
    .description("Run AI coding agents across a fleet of machines: the fleet CLI.")
    .version(MUSTER_VERSION, "-V, --version", "print the CLI version")
    .option("--config <path>", "CLI config file (default: nearest .muster/cli.json, else ~/.config/muster/cli.json)")
    .helpOption("-h, --help", "show help")
    .helpCommand("help [command]", "show help for a command")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Usage errors are reported by `report`, as one line.
      outputError: () => undefined,
    })
    .addHelpText(
      "after",
      "\nSign in with `muster login <url> --token <token>`, or set MUSTER_URL and MUSTER_TOKEN.\n" +
        "Every command takes --json for machine-readable output. Exit codes: 0 ok, 1 failure, 2 usage,\n" +
        "3 coordinator unreachable, 4 not signed in or token refused.\n",
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
function overrideExits(cmd: Command): void {
  const path = commandPath(cmd);
  cmd.exitOverride((err: CommanderError) => {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") throw new HelpShown(0);
    // Help already printed because no subcommand was given: a usage error, but the help says it all.
    if (err.code === "commander.help") throw new HelpShown(2);
    const message = err.message.replace(/^error:\s*/i, "").replace(/\s*\n\s*/g, " ");
    const hint = (err.code === "commander.unknownOption" && unknownOptionHints.get(cmd)) || `see ${path} --help`;
    throw new CLIError("usage", `${message} (${hint})`);
  });
  for (const sub of cmd.commands) overrideExits(sub);
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
