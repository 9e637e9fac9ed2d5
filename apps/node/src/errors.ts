// Errors a command reports to the person who ran it: one line on stderr and an exit code.
import { ExitCode } from "@muster/protocol";

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A command failed in a way its user should read; `code` is machine-readable, `exitCode` ends the process. */
export class NodeCommandError extends Error {
  override readonly name = "NodeCommandError";
  constructor(
    message: string,
    readonly code: string,
    readonly exitCode: ExitCodeValue,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function usageError(message: string): NodeCommandError {
  return new NodeCommandError(message, "bad_request", ExitCode.usage);
}
