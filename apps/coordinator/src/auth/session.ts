// Console sessions: an API token is exchanged once for a signed session cookie (HttpOnly, SameSite=Strict); every
// request with the cookie is checked again against the token, so revoking the token ends its sessions.
import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { jwtVerify, SignJWT } from "jose";
import type { Db } from "../store/db.js";
import { settings } from "../store/schema.js";

export const SESSION_TTL_S = 12 * 3600;

export async function sessionKey(db: Db): Promise<Uint8Array> {
  await db.insert(settings).values({ key: "session_secret", value: randomBytes(32).toString("base64url") }).onConflictDoNothing();
  const [row] = await db.select().from(settings).where(eq(settings.key, "session_secret"));
  return Buffer.from(row!.value, "base64url");
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
