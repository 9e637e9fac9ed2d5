// File primitives of the durable outbox: whole-file writes that are atomic and on disk when they return, and
// reading an append-only records file whose last line a crash may have cut short.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { ClaimRecord } from "@muster/protocol";

/** Writes all of `data`, at `position` or (append mode) at the end; a short write is continued, not lost. */
export function writeAll(fd: number, data: Buffer, position?: number): void {
  let done = 0;
  while (done < data.length) {
    done += writeSync(fd, data, done, data.length - done, position === undefined ? null : position + done);
  }
}

/** Replaces `path` so that a crash leaves the old content or the new one, never a mix, and the new one is durable. */
export function writeFileDurable(path: string, data: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeAll(fd, Buffer.from(data));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
}

/** Makes a rename or a new directory entry durable. */
export function syncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems cannot fsync a directory; the rename itself is still atomic there.
  } finally {
    closeSync(fd);
  }
}

export interface RecordLine {
  record: ClaimRecord;
  /** Byte offset of the line in the file. */
  start: number;
}

export interface RecordFile {
  lines: RecordLine[];
  /** Bytes of the file worth keeping; a cut-short last line lies beyond. */
  keepBytes: number;
  /** The last line is a whole record that only lacks its newline; the caller adds it. */
  missingNewline: boolean;
  /** Lines that were not records (or went back in seq), dropped. */
  skipped: number;
}

function parseLine(text: string): ClaimRecord | null {
  try {
    const parsed = ClaimRecord.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Reads a records file (one JSON record per line). A crash while appending can leave the last line cut
 * short: it is dropped (`keepBytes` stops before it) unless it happens to be a whole record.
 */
export function parseRecordFile(buf: Buffer): RecordFile {
  const lines: RecordLine[] = [];
  let skipped = 0;
  let lastSeq = 0;
  let start = 0;
  const take = (end: number): boolean => {
    const record = end > start ? parseLine(buf.subarray(start, end).toString("utf8")) : null;
    if (record && record.seq > lastSeq) {
      lines.push({ record, start });
      lastSeq = record.seq;
      return true;
    }
    if (end > start) skipped += 1;
    return false;
  };
  for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
    take(nl);
    start = nl + 1;
  }
  if (start === buf.length) return { lines, keepBytes: buf.length, missingNewline: false, skipped };
  const tailStart = start;
  if (take(buf.length)) return { lines, keepBytes: buf.length, missingNewline: true, skipped };
  // The cut-short tail is not an error worth counting: it is what a crash mid-append looks like.
  skipped -= 1;
  return { lines, keepBytes: tailStart, missingNewline: false, skipped };
}
