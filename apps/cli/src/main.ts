// Entry point of `muster`: runs the CLI against the real process and sets the exit code.
import { runCli } from "./cli.js";
import { processIo } from "./io.js";

// `muster tasks | head -1` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  process.stderr.write(`muster: cannot write output: ${err.message}\n`);
  process.exit(1);
});

// Last resort: whatever escapes still ends as one line, never a stack trace.
const die = (err: unknown) => {
  process.stderr.write(`muster: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
};
process.on("uncaughtException", die);
process.on("unhandledRejection", die);

process.exitCode = await runCli(process.argv.slice(2), processIo());
