// Time-ordered random ids (`tsk_01JB...`): sortable by creation, safe in URLs.
import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function encodeTime(ms: number): string {
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32]! + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

function encodeRandom(bytes: Buffer): string {
  let out = "";
  for (const b of bytes) out += ALPHABET[b & 31]!;
  return out;
}

export function newId(prefix: string, now: number = Date.now()): string {
  return `${prefix}_${encodeTime(now)}${encodeRandom(randomBytes(16))}`;
}

/** An id without a time part, for secrets' public halves. */
export function newShortId(length = 16): string {
  return encodeRandom(randomBytes(length));
}

export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}
