// Console sessions: an API token is exchanged once for a signed session cookie (HttpOnly, SameSite=Strict); every
// request with the cookie is checked again against the token, so revoking the token ends its sessions.
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { jwtVerify, SignJWT } from "jose";
import type { Logger } from "../log.js";
import type { Db } from "../store/db.js";
import { settings } from "../store/schema.js";

export const SESSION_TTL_S = 12 * 3600;

/** The session signing key's file in the data directory; it never goes into the database. */
export const SESSION_KEY_FILE = "session.key";
const KEY_BYTES = 32;

export class SessionKeyError extends Error {
  override name = "SessionKeyError";
}

/**
 * The key that signs console session cookies: from `MUSTER_SESSION_SECRET` (which every coordinator sharing one
 * database must be given, so a cookie works on any of them), else from `<dataDir>/session.key` (0600), made on first
 * start. Older versions kept it in the `settings` table, readable by anyone who can read the database; it is removed.
 */
export async function loadSessionKey(
  db: Db,
  opts: { dataDir: string; envSecret?: string | undefined; sharedDatabase: boolean; log: Logger },
): Promise<Uint8Array> {
  const dropped = await db.delete(settings).where(eq(settings.key, "session_secret")).returning({ key: settings.key });
  if (dropped.length > 0) opts.log.info("session key removed from the database; console users sign in again");
  if (opts.envSecret) return keyFromSecret(opts.envSecret);
  const path = join(opts.dataDir, SESSION_KEY_FILE);
  if (!existsSync(path)) {
    writeKeyFile(path, "wx");
    opts.log.info({ path }, "session key created");
  }
  if (opts.sharedDatabase)
    opts.log.info({ path }, "session key read from the data directory; coordinators sharing this database need one MUSTER_SESSION_SECRET");
  return readKeyFile(path);
}

/** A secret of any form, stretched to a key: every coordinator given the same secret derives the same key. */
export function keyFromSecret(secret: string): Uint8Array {
  return createHash("sha256").update(`muster session key\0${secret}`, "utf8").digest();
}

/** Replaces `<dataDir>/session.key` with a new random key; sessions signed with the old one end at the next start. */
export function rotateSessionKey(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, SESSION_KEY_FILE);
  const next = `${path}.${process.pid}.tmp`;
  writeKeyFile(next, "w");
  renameSync(next, path);
  return path;
}

function writeKeyFile(path: string, flag: "w" | "wx"): void {
  writeFileSync(path, `${randomBytes(KEY_BYTES).toString("base64url")}\n`, { mode: 0o600, flag });
  chmodSync(path, 0o600);
}

function readKeyFile(path: string): Uint8Array {
  const key = Buffer.from(readFileSync(path, "utf8").trim(), "base64url");
  if (key.length < KEY_BYTES)
    throw new SessionKeyError(`${path} does not hold a session key; remove it or run muster-coordinator rotate-session-secret`);
  return key;
}

export async function signSession(key: Uint8Array, tokenId: string, nowS: number): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(tokenId)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + SESSION_TTL_S)
    .sign(key);
}

/** The API token id a session cookie stands for, or null when it is forged or expired. */
export async function readSession(key: Uint8Array, cookie: string, now: Date): Promise<string | null> {
  try {
    const { payload } = await jwtVerify(cookie, key, { algorithms: ["HS256"], currentDate: now });
    return typeof payload.sub === "string" ? payload.sub : null;
  } catch {
    return null;
  }
}
