// Shared by the pulse commands: reading a text from a file or stdin, and checking names before they reach the wire.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { z } from "zod";
import { firstIssue } from "../client.js";
import { CLIError, usageError } from "../errors.js";
import type { Io } from "../io.js";

/** `-f FILE`, `-f -` or a lone `-` argument read stdin. */
export async function readText(io: Io, file: string | undefined): Promise<string> {
  if (file === undefined) throw usageError("give the text with -f FILE, or -f - to read stdin");
  try {
    return file === "-" ? await io.readStdin() : await readFile(resolve(io.cwd, file), "utf8");
  } catch (err) {
    throw new CLIError("failure", `cannot read ${file}: ${(err as { code?: string }).code ?? (err as Error).message}`);
  }
}

/** Bad input is a failure (exit 1) with one line, before anything is sent. */
export function checked<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CLIError("failure", `${what}: ${firstIssue(parsed.error).replace(/^[^:]*: /, "")}`);
  return parsed.data;
}
