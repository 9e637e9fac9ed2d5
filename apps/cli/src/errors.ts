// The one error type of the CLI: a message for people, the exit code it maps to, and the server's code if any.
import { ExitCode } from "@muster/protocol";

export type ExitKind = Exclude<keyof typeof ExitCode, "ok">;

export class CLIError extends Error {
  override name = "CLIError";
  readonly kind: ExitKind;
  /** The coordinator's error code (ErrorBody.error.code), shown in brackets. */
  readonly serverCode: string | undefined;

  constructor(kind: ExitKind, message: string, options: { serverCode?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.serverCode = options.serverCode;
  }

  get exitCode(): number {
    return ExitCode[this.kind];
  }

  /** The single stderr line, without the `muster: ` prefix. */
  get line(): string {
    return this.serverCode ? `${this.message} [${this.serverCode}]` : this.message;
  }
}

export const usageError = (message: string) => new CLIError("usage", message);

export const NOT_SIGNED_IN =
  "not signed in: run muster login <url> --token <token> (or set MUSTER_URL and MUSTER_TOKEN)";

/** Any thrown value as a CLIError; unknown errors become failures without their stack. */
export function toCLIError(err: unknown): CLIError {
  if (err instanceof CLIError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CLIError("failure", message.split("\n")[0] || "unexpected error", { cause: err });
}
