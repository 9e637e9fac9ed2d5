// Colour only where it helps and only on a terminal that wants it (https://no-color.org).
import type { OutStream } from "../io.js";

export function colorEnabled(stream: OutStream, env: Record<string, string | undefined>): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== "dumb";
}

const sgr = (open: number, close: number) => (text: string, enabled: boolean) =>
  enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;

export const dim = sgr(2, 22);
export const green = sgr(32, 39);
export const yellow = sgr(33, 39);
export const red = sgr(31, 39);

/** A painter for table cells: plain text in, maybe-coloured text out. */
export type Paint = (text: string) => string;

const STATE_COLORS: Record<string, (text: string, enabled: boolean) => string> = {
  // node states
  ready: green,
  busy: green,
  joined: yellow,
  cordoned: yellow,
  draining: yellow,
  offline: dim,
  lost: red,
  revoked: red,
  // task states
  queued: yellow,
  assigned: yellow,
  succeeded: green,
  failed: red,
};

/** Colours a node or task state by what it means: green good, yellow waiting, red bad; others plain. */
export function stateColor(enabled: boolean): Paint {
  return (state) => STATE_COLORS[state]?.(state, enabled) ?? state;
}
