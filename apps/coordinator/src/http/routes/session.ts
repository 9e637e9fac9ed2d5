// Who is calling: a bearer token, or the console's session cookie; and the routes that open and close sessions.
import { SESSION_COOKIE, SessionRequest } from "@muster/protocol";
import type { Context } from "hono";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { readSession, SESSION_TTL_S, signSession } from "../../auth/session.js";
import { authenticateToken, identityOf, type Identity, type TokenUse } from "../../auth/tokens.js";
import { MusterError } from "../../errors.js";
import { clientOf } from "../client-address.js";
import { clientAddress, readJson, type AppDeps, type Env } from "../context.js";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export async function authenticate(c: Context<Env>, deps: AppDeps, use?: TokenUse): Promise<Identity> {
  const identity = await limitFailures(c, deps, () => whoIsCalling(c, deps));
  await use?.touch(identity.tokenId, deps.clock.now());
  return identity;
}

/** Runs an authentication; an address with too many failed ones waits, and every failure counts against it. */
async function limitFailures<T>(c: Context, deps: AppDeps, attempt: () => Promise<T>): Promise<T> {
  const address = clientAddress(c, deps);
  deps.limits.auth.check(address);
  try {
    return await attempt();
  } catch (err) {
    if (err instanceof MusterError && err.code === "unauthorized") deps.limits.auth.fail(address);
    throw err;
  }
}

async function whoIsCalling(c: Context<Env>, deps: AppDeps): Promise<Identity> {
  const m = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
  if (m) {
    const identity = await authenticateToken(deps.db, m[1]!);
    if (!identity) throw new MusterError("unauthorized", "token is not valid");
    return identity;
  }
  const cookie = getCookie(c, SESSION_COOKIE);
  if (!cookie) throw new MusterError("unauthorized", "missing bearer token or session");
  const tokenId = await readSession(deps.sessionKey, cookie, new Date(deps.clock.now()));
  const identity = tokenId ? await identityOf(deps.db, tokenId) : null;
  if (!identity) throw new MusterError("unauthorized", "session is not valid; sign in again");
  // SameSite=Strict keeps other sites' requests from carrying the cookie; an Origin check backs it up.
  if (!SAFE.has(c.req.method) && crossOrigin(c)) throw new MusterError("forbidden", "cross-origin request refused");
  return identity;
}

/**
 * True when a browser says the request comes from a page of another origin. Browsers send Origin on every POST;
 * clients that are not browsers send none and pass. `Origin: null` (sandboxed frames, redirects, file: pages) is an
 * origin we cannot vouch for, so it counts as cross-origin.
 */
export function crossOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  if (origin === undefined) return false;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return true;
  }
  return host === "" || host !== c.req.header("host");
}

export function sessionRoutes(deps: AppDeps, use?: TokenUse): Hono<Env> {
  const app = new Hono<Env>();

  app.post("/session", async (c) => {
    // Another site must not sign a browser in with the attacker's token (login CSRF).
    if (crossOrigin(c)) throw new MusterError("forbidden", "cross-origin sign-in refused");
    const { token } = await readJson(c, SessionRequest);
    const identity = await limitFailures(c, deps, async () => {
      const found = await authenticateToken(deps.db, token);
      if (!found) throw new MusterError("unauthorized", "token is not valid");
      return found;
    });
    await use?.touch(identity.tokenId, deps.clock.now());
    const cookie = await signSession(deps.sessionKey, identity.tokenId, Math.floor(deps.clock.now() / 1000));
    setCookie(c, SESSION_COOKIE, cookie, {
      httpOnly: true,
      sameSite: "Strict",
      // Over TLS, directly or through a trusted proxy, the cookie never travels over plain HTTP.
      secure: clientOf(c, deps.trustProxy === true).secure,
      path: "/",
      maxAge: SESSION_TTL_S,
    });
    deps.log.info({ tokenId: identity.tokenId }, "console session opened");
    return c.json({ tokenId: identity.tokenId, name: identity.name, role: identity.role });
  });

  app.delete("/session", (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.body(null, 204);
  });

  return app;
}
