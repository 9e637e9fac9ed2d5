// Colour only where it helps and only on a terminal that wants it (https://no-color.org).
import type { OutStream } from "../io.js";

export function colorEnabled(stream: OutStream, env: Record<string, string | undefined>): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== "dumb";
}

export const dim = (text: string, enabled: boolean) => (enabled ? `\u001b[2m${text}\u001b[22m` : text);
