// The most raw output an attempt keeps in its log records; past it the rest is dropped with one notice.

/** The longest prefix of `text` that is at most `maxBytes` of UTF-8, never cutting a character in two. */
export function utf8Prefix(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  // Back off continuation bytes (10xxxxxx) so the cut lands on a character's first byte.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString("utf8");
}

/** Shared by every process of one attempt (the agent, then verify), so the cap is per attempt. */
export class OutputCap {
  private used = 0;
  private noticed = false;

  constructor(readonly capBytes: number) {}

  /** What of `text` still goes into log records, and the notice to add once the cap is reached (only once). */
  take(text: string): { kept: string; notice: string | null } {
    const room = this.capBytes - this.used;
    const kept = room > 0 ? utf8Prefix(text, room) : "";
    this.used += Buffer.byteLength(kept, "utf8");
    const dropped = kept.length < text.length;
    if (!dropped || this.noticed) return { kept, notice: null };
    this.noticed = true;
    return { kept, notice: `[muster] output truncated after ${this.capBytes} bytes\n` };
  }
}
