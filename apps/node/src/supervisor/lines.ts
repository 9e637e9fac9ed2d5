// Reassembles lines from output chunks, which a pipe cuts wherever it likes; parsers need whole lines.

/**
 * Longest line kept while waiting for its newline. An agent line can be large (a whole file read back),
 * but a process printing without newlines must not grow the daemon's memory without end.
 */
export const MAX_PENDING_LINE = 8 * 1024 * 1024;

export class LineAssembler {
  private pending: string[] = [];
  private pendingLength = 0;
  /** The current line outgrew the limit: drop the rest of it, up to its newline. */
  private skipping = false;

  constructor(private readonly maxLine = MAX_PENDING_LINE) {}

  /** The lines this chunk completes, without their newlines. */
  push(chunk: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf("\n", start); nl !== -1; nl = chunk.indexOf("\n", start)) {
      const tail = chunk.slice(start, nl);
      if (!this.skipping && this.pendingLength + tail.length <= this.maxLine) lines.push(this.pending.join("") + tail);
      this.reset();
      start = nl + 1;
    }
    this.hold(chunk.slice(start));
    return lines;
  }

  /** What is left after the last newline, at the end of the output; null when nothing is. */
  flush(): string | null {
    const rest = this.skipping || this.pendingLength === 0 ? null : this.pending.join("");
    this.reset();
    return rest;
  }

  private hold(part: string): void {
    if (this.skipping || part === "") return;
    if (this.pendingLength + part.length > this.maxLine) {
      this.pending = [];
      this.pendingLength = 0;
      this.skipping = true;
      return;
    }
    this.pending.push(part);
    this.pendingLength += part.length;
  }

  private reset(): void {
    this.pending = [];
    this.pendingLength = 0;
    this.skipping = false;
  }
}
