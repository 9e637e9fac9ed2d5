// Live streams (the event feed, followed task logs) hold a connection and a loop each: a token gets only so many.
import { MusterError } from "../errors.js";

export class StreamQuota {
  readonly #open = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Takes one of `tokenId`'s streams; the returned release gives it back (calling it twice is harmless). */
  take(tokenId: string): () => void {
    const open = this.#open.get(tokenId) ?? 0;
    if (open >= this.max)
      throw new MusterError("too_many_streams", `this token already has ${open} live streams open (the limit); close one first`);
    this.#open.set(tokenId, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = (this.#open.get(tokenId) ?? 1) - 1;
      if (now <= 0) this.#open.delete(tokenId);
      else this.#open.set(tokenId, now);
    };
  }

  open(tokenId: string): number {
    return this.#open.get(tokenId) ?? 0;
  }
}
