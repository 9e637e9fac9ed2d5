// Writing results: human text, or `--json` validated against the protocol schema first.
import type { z } from "zod";
import { firstIssue } from "./client.js";
import { CLIError } from "./errors.js";
import type { OutStream } from "./io.js";

export function writeLine(stream: OutStream, text = ""): void {
  stream.write(`${text}\n`);
}

/** Pretty JSON of one document, after checking it against its output schema. */
export function writeJson(stream: OutStream, schema: z.ZodType, value: unknown): void {
  stream.write(`${JSON.stringify(checked(schema, value), null, 2)}\n`);
}

/** One compact JSON document per line (`muster logs --json`). */
export function writeJsonLine(stream: OutStream, schema: z.ZodType, value: unknown): void {
  stream.write(`${JSON.stringify(checked(schema, value))}\n`);
}

function checked(schema: z.ZodType, value: unknown): unknown {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CLIError("failure", `output does not match its schema: ${firstIssue(parsed.error)}`);
  return parsed.data;
}
