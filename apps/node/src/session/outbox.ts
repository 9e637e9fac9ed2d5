// The durable outbox: each claim's offer, records and result stay on disk until the coordinator has stored
// them, so a daemon killed at any moment (even SIGKILL) loses nothing it appended, and a restarted daemon
// knows every claim it held (DESIGN §3, §4). One directory per claim under <dataDir>/claims:
//   claim.json     the offer (task, token, attempt, onDisconnect); written before the claim is accepted
//   worker.json    {"pgid"} of the worker's process group, once it started
//   records.jsonl  one record per line, appended in seq order; lines the coordinator acked are compacted away
//   acked          the highest seq the coordinator acked, a fixed-width number rewritten in place
//   result.json    the claim.done payload, once the worker ended (fsynced)
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { ClaimDone, ClaimOffer, type ClaimRecord } from "@muster/protocol";
import type { Logger } from "../log.js";
import type { ClaimJournal, StoredClaim } from "../supervisor/journal.js";
import { parseRecordFile, syncDir, writeAll, writeFileDurable } from "./outbox-files.js";

export interface Outbox {
  append(claimId: string, record: ClaimRecord): void;
  /** The coordinator stored every record of the claim up to and including `seq`. */
  ack(claimId: string, seq: number): void;
  /** Unacknowledged records in seq order, only those after `afterSeq` when given. */
  unacked(claimId: string, afterSeq?: number): ClaimRecord[];
  /** The claim is finished or revoked; drop whatever is left of it. */
  forget(claimId: string): void;
}

/** Once this many acked bytes lead a records file (and they are most of it), the file is rewritten without them. */
const COMPACT_BYTES = 1024 * 1024;
const ACK_WIDTH = 16;

interface PendingRecord {
  record: ClaimRecord;
  /** Byte offset of its line in the records file. */
  start: number;
}

interface ClaimFiles {
  dir: string;
  recordsFd: number;
  ackFd: number;
  fileBytes: number;
  /** Unacked records, in seq order; they are served from memory, the file is the durable copy. */
  pending: PendingRecord[];
  ackedSeq: number;
  /** A write failed; the claim's records live on in memory only (logged once). */
  broken: boolean;
}

/** Index of the first item whose key is > `seq`; items are in ascending key order. */
export function firstAfter<T>(list: readonly T[], key: (item: T) => number, seq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(list[mid]!) <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class DiskOutbox implements Outbox, ClaimJournal {
  private readonly claims = new Map<string, ClaimFiles>();

  private constructor(
    private readonly root: string,
    private readonly log: Logger,
  ) {}

  /** Opens the outbox under `root` and reads back every claim a previous daemon left there. */
  static open(root: string, log: Logger): { outbox: DiskOutbox; stored: StoredClaim[] } {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    const outbox = new DiskOutbox(root, log);
    const stored: StoredClaim[] = [];
    for (const name of readdirSync(root).sort()) {
      try {
        const claim = outbox.load(name);
        if (claim) stored.push(claim);
      } catch (err) {
        // One unreadable claim must not keep the node from working; it stays on disk for a person to look at.
        log.error({ err, claimId: name }, "cannot read a claim from the outbox; leaving it");
      }
    }
    return { outbox, stored };
  }

  // ---- journal ----------------------------------------------------------------------------

  opened(offer: ClaimOffer): void {
    if (this.claims.has(offer.claimId)) return;
    const dir = this.dirOf(offer.claimId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The claim is accepted only once this is durable, so a claim the coordinator thinks we hold is never unknown here.
    writeFileDurable(join(dir, "claim.json"), JSON.stringify(offer));
    syncDir(this.root);
    this.claims.set(offer.claimId, this.openFiles(dir, 0, 0));
  }

  workerStarted(claimId: string, pgid: number): void {
    const files = this.claims.get(claimId);
    if (!files) return;
    // No fsync: it only matters while the machine keeps running, and then the page cache has it.
    this.guard(files, claimId, () => writeFileSync(join(files.dir, "worker.json"), JSON.stringify({ pgid }), { mode: 0o600 }));
  }

  finished(done: ClaimDone): void {
    const files = this.claims.get(done.claimId);
    if (!files) return;
    this.guard(files, done.claimId, () => {
      fsyncSync(files.recordsFd);
      writeFileDurable(join(files.dir, "result.json"), JSON.stringify(done));
    });
  }

  // ---- records ----------------------------------------------------------------------------

  append(claimId: string, record: ClaimRecord): void {
    const files = this.claims.get(claimId);
    if (!files) {
      this.log.warn({ claimId, seq: record.seq }, "record for a claim the outbox does not hold");
      return;
    }
    const start = files.fileBytes;
    files.pending.push({ record, start });
    if (files.broken) return;
    // One synchronous append per record: in the page cache when this returns, so a SIGKILL cannot lose it.
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    this.guard(files, claimId, () => {
      writeAll(files.recordsFd, line);
      files.fileBytes += line.length;
    });
  }

  ack(claimId: string, seq: number): void {
    const files = this.claims.get(claimId);
    if (!files || seq <= files.ackedSeq) return;
    files.ackedSeq = seq;
    const drop = firstAfter(files.pending, (p) => p.record.seq, seq);
    if (drop > 0) files.pending.splice(0, drop);
    if (files.broken) return;
    this.guard(files, claimId, () => {
      // Written before the records go, so a crash in between never loses track of the claim's last seq.
      writeAll(files.ackFd, Buffer.from(String(seq).padStart(ACK_WIDTH, "0")), 0);
      this.compact(files);
    });
  }

  unacked(claimId: string, afterSeq = 0): ClaimRecord[] {
    const files = this.claims.get(claimId);
    if (!files) return [];
    return files.pending.slice(firstAfter(files.pending, (p) => p.record.seq, afterSeq)).map((p) => p.record);
  }

  forget(claimId: string): void {
    const files = this.claims.get(claimId);
    this.claims.delete(claimId);
    if (files) closeFiles(files);
    try {
      rmSync(this.dirOf(claimId), { recursive: true, force: true });
    } catch (err) {
      this.log.error({ err, claimId }, "cannot delete a finished claim's outbox");
    }
  }

  close(): void {
    for (const files of this.claims.values()) closeFiles(files);
    this.claims.clear();
  }

  // ---- internals --------------------------------------------------------------------------

  private dirOf(claimId: string): string {
    return join(this.root, claimId);
  }

  private openFiles(dir: string, ackedSeq: number, fileBytes: number): ClaimFiles {
    const recordsFd = openSync(join(dir, "records.jsonl"), "a+", 0o600);
    const ackPath = join(dir, "acked");
    const ackFd = openSync(ackPath, existsSync(ackPath) ? "r+" : "w+", 0o600);
    return { dir, recordsFd, ackFd, fileBytes, pending: [], ackedSeq, broken: false };
  }

  /** Runs a write; a failure (disk full, I/O error) costs durability, never the daemon. */
  private guard(files: ClaimFiles, claimId: string, write: () => void): void {
    try {
      write();
    } catch (err) {
      if (!files.broken) this.log.error({ err, claimId }, "cannot write the claim's outbox; its records are kept in memory only");
      files.broken = true;
    }
  }

  /**
   * Drops acked lines from the records file. The usual case, everything acked, is one truncate; a long
   * acked prefix in front of unacked records is copied out once it is large.
   */
  private compact(files: ClaimFiles): void {
    const first = files.pending[0];
    if (!first) {
      if (files.fileBytes > 0) ftruncateSync(files.recordsFd, 0);
      files.fileBytes = 0;
      return;
    }
    const acked = first.start;
    if (acked < COMPACT_BYTES || acked * 2 < files.fileBytes) return;
    const rest = Buffer.alloc(files.fileBytes - acked);
    readSync(files.recordsFd, rest, 0, rest.length, acked);
    const path = join(files.dir, "records.jsonl");
    writeFileSync(`${path}.tmp`, rest, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    closeSync(files.recordsFd);
    files.recordsFd = openSync(path, "a+", 0o600);
    files.fileBytes = rest.length;
    for (const p of files.pending) p.start -= acked;
  }

  /** Reads one claim directory back; removes it when it never got as far as a whole claim.json. */
  private load(name: string): StoredClaim | null {
    const dir = this.dirOf(name);
    const offer = readJson(join(dir, "claim.json"), ClaimOffer);
    if (!offer || offer.claimId !== name) {
      this.log.warn({ dir }, "dropping a claim directory without a readable claim");
      rmSync(dir, { recursive: true, force: true });
      return null;
    }
    for (const tmp of ["claim.json.tmp", "result.json.tmp", "records.jsonl.tmp"]) rmSync(join(dir, tmp), { force: true });
    const done = readJson(join(dir, "result.json"), ClaimDone);
    const worker = readJson(join(dir, "worker.json"), { safeParse: parsePgid });
    const ackedSeq = readAcked(join(dir, "acked"));
    const files = this.openFiles(dir, ackedSeq, 0);
    let lastRecordSeq: number;
    try {
      lastRecordSeq = this.readRecords(files, name);
    } catch (err) {
      closeFiles(files);
      throw err;
    }
    this.claims.set(name, files);
    return { offer, pgid: worker?.pgid ?? null, done, ackedSeq, lastSeq: Math.max(ackedSeq, lastRecordSeq, done?.lastSeq ?? 0) };
  }

  /** Loads the unacked records into memory and repairs a cut-short last line; returns the highest seq in the file. */
  private readRecords(files: ClaimFiles, claimId: string): number {
    const buf = readFileSync(join(files.dir, "records.jsonl"));
    const parsed = parseRecordFile(buf);
    if (parsed.keepBytes < buf.length) {
      this.log.warn({ claimId, bytes: buf.length - parsed.keepBytes }, "dropping a record line cut short by a crash");
      ftruncateSync(files.recordsFd, parsed.keepBytes);
    }
    if (parsed.missingNewline) writeAll(files.recordsFd, Buffer.from("\n"));
    if (parsed.skipped > 0) this.log.warn({ claimId, lines: parsed.skipped }, "skipping unreadable record lines");
    files.fileBytes = parsed.keepBytes + (parsed.missingNewline ? 1 : 0);
    files.pending = parsed.lines.filter((l) => l.record.seq > files.ackedSeq);
    return parsed.lines.at(-1)?.record.seq ?? 0;
  }
}

function closeFiles(files: ClaimFiles): void {
  for (const fd of [files.recordsFd, files.ackFd]) {
    try {
      closeSync(fd);
    } catch {
      // Already closed; nothing is lost.
    }
  }
}

function readJson<T>(path: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }): T | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function parsePgid(v: unknown): { success: true; data: { pgid: number } } | { success: false } {
  const pgid = (v as { pgid?: unknown } | null)?.pgid;
  return typeof pgid === "number" && Number.isInteger(pgid) && pgid > 1 ? { success: true, data: { pgid } } : { success: false };
}

function readAcked(path: string): number {
  try {
    const n = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}
