// muster-node: join a coordinator, then run the daemon. Wiring only; the work is in the components.
import { Command, CommanderError, Option } from "commander";
import { ExitCode, MUSTER_VERSION } from "@muster/protocol";
import { ConfigError, defaultConfigPath } from "./config.js";
import { runDaemon } from "./daemon.js";
import { NodeCommandError } from "./errors.js";
import { defaultCapacity, joinCoordinator, parseJoinArgs, type JoinFlags } from "./identity/join.js";
import { createLogger } from "./log.js";
import { SandboxError } from "./sandbox/sandbox.js";

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** Prints a failure as one line on stderr (JSON with --json) and sets the exit code. */
function fail(err: unknown, json: boolean): void {
  const known = err instanceof NodeCommandError || err instanceof ConfigError || err instanceof SandboxError;
  const code =
    err instanceof NodeCommandError ? err.code : err instanceof ConfigError ? "invalid_config" : err instanceof SandboxError ? "no_sandbox" : "internal";
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(json ? `${JSON.stringify({ error: { code, message } })}\n` : `muster-node: ${message}\n`);
  process.exitCode = err instanceof NodeCommandError ? err.exitCode : known ? ExitCode.usage : ExitCode.failure;
}

const program = new Command("muster-node")
  .description("Muster node daemon: joins a coordinator and runs AI coding agents for it")
  .version(MUSTER_VERSION)
  .exitOverride();

program
  .command("join")
  .description("register this machine with a coordinator and write the node config (does not start the daemon)")
  .argument("<url>", "coordinator URL, e.g. https://muster.example.com")
  .requiredOption("--name <name>", "node name (letters, digits, . _ -)")
  .requiredOption("--key <join key>", "join key from `muster join-keys create` (mjk_...)")
  .option("--label <k=v>", "node label; repeat for more", collect)
  .option("--capacity <n>", `how many claims to run at once (default: number of CPUs, at least 1; ${defaultCapacity()} here)`)
  .option("--config <path>", "where to write the config (default: $MUSTER_NODE_CONFIG or ~/.config/muster/node.json)")
  .option("--force", "replace a config that belongs to another node")
  .option("--ca <file>", "PEM file of a private CA to trust for the coordinator's certificate; kept for start (default: $MUSTER_CA)")
  .option("--json", "print the result as JSON")
  .action(async (url: string, flags: JoinFlags & { json?: boolean }) => {
    const json = flags.json === true;
    try {
      const out = await joinCoordinator(parseJoinArgs(url, flags));
      process.stdout.write(
        json
          ? `${JSON.stringify(out)}\n`
          : `joined ${out.url} as ${out.name} (${out.nodeId}); config written to ${out.configPath}; run muster-node start\n`,
      );
    } catch (err) {
      fail(err, json);
    }
  });

program
  .command("start")
  .description("run the node daemon: connect to the coordinator and run the claims it offers")
  .addOption(new Option("--config <path>", "node config (default: $MUSTER_NODE_CONFIG or ~/.config/muster/node.json)"))
  .addOption(
    new Option("--sandbox <mode>", "how workers are isolated: bwrap, user or none (default: $MUSTER_NODE_SANDBOX, the config, else bwrap if it works, else user when root)").choices(["bwrap", "user", "none"]),
  )
  .action(async (flags: { config?: string; sandbox?: string }) => {
    const log = createLogger();
    try {
      const code = await runDaemon({ configPath: flags.config ?? defaultConfigPath(), env: process.env, log, ...(flags.sandbox ? { sandbox: flags.sandbox } : {}) });
      process.exit(code);
    } catch (err) {
      fail(err, false);
      process.exit();
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Commander already printed its message; help and --version exit 0, other usage errors 2.
  process.exitCode = err instanceof CommanderError && err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
}
