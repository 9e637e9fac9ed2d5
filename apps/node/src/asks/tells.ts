// Tells for the claims a node runs: kept in the claim's directory (tells.json) so a message is never handed to
// the worker twice, and reported back by id so the coordinator stops re-sending it.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { Id, type TellMessage } from "@muster/protocol";
import type { Logger } from "../log.js";
import { writeFileDurable } from "../session/outbox-files.js";

/** A ClaimReport lists at most this many tell ids; older ones were confirmed long before. */
export const MAX_REPORTED_TELLS = 1000;

const StoredTell = z.object({ tellId: Id, text: z.string(), from: z.string(), read: z.boolean() });
type StoredTell = z.infer<typeof StoredTell>;
const TellsFile = z.object({ tells: z.array(StoredTell) });

export interface ToldMessage {
  text: string;
  from: string;
}

export interface TellInboxOptions {
  /** The claim's own directory; tells.json goes there. */
  dirOf(claimId: string): string;
  log: Logger;
}

export class TellInbox {
  private readonly claims = new Map<string, StoredTell[]>();

  constructor(private readonly opts: TellInboxOptions) {}

  /** Starts taking tells for the claim, with those already on disk. */
  open(claimId: string): void {
    if (this.claims.has(claimId)) return;
    this.claims.set(claimId, this.load(claimId));
  }

  /** Forgets the claim; its file goes with the claim's directory. */
  close(claimId: string): void {
    this.claims.delete(claimId);
  }

  /** Keeps a tell for a running claim; a repeat (the coordinator re-sends until confirmed) is ignored. */
  receive(tell: TellMessage): boolean {
    const tells = this.claims.get(tell.claimId);
    if (!tells) return false;
    if (tells.some((t) => t.tellId === tell.tellId)) return true;
    tells.push({ tellId: tell.tellId, text: tell.text, from: tell.from, read: false });
    try {
      this.save(tell.claimId, tells);
    } catch (err) {
      // Still handed to the worker from memory; only a daemon restart could lose it, and that ends the worker anyway.
      this.opts.log.error({ err, claimId: tell.claimId, tellId: tell.tellId }, "cannot write the claim's tells");
    }
    this.opts.log.info({ claimId: tell.claimId, tellId: tell.tellId }, "tell received");
    return true;
  }

  received(claimId: string): string[] {
    return (this.claims.get(claimId) ?? []).slice(-MAX_REPORTED_TELLS).map((t) => t.tellId);
  }

  /**
   * The unread messages, each handed out at most once: they are marked read on disk before they are returned,
   * and when that write fails they stay unread and this throws.
   */
  takeUnread(claimId: string): ToldMessage[] {
    const tells = this.claims.get(claimId);
    if (!tells) return [];
    const unread = tells.filter((t) => !t.read);
    if (unread.length === 0) return [];
    for (const t of unread) t.read = true;
    try {
      this.save(claimId, tells);
    } catch (err) {
      for (const t of unread) t.read = false;
      throw err;
    }
    return unread.map(({ text, from }) => ({ text, from }));
  }

  private fileOf(claimId: string): string {
    return join(this.opts.dirOf(claimId), "tells.json");
  }

  private save(claimId: string, tells: StoredTell[]): void {
    mkdirSync(this.opts.dirOf(claimId), { recursive: true, mode: 0o700 });
    writeFileDurable(this.fileOf(claimId), JSON.stringify({ tells }));
  }

  private load(claimId: string): StoredTell[] {
    const path = this.fileOf(claimId);
    if (!existsSync(path)) return [];
    try {
      const parsed = TellsFile.safeParse(JSON.parse(readFileSync(path, "utf8")));
      if (parsed.success) return parsed.data.tells;
    } catch {
      // Unreadable: handled below like an invalid file.
    }
    this.opts.log.warn({ claimId, path }, "ignoring an unreadable tells file");
    return [];
  }
}
