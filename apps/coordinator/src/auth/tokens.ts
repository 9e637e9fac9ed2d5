// API tokens for people and the CLI: bootstrap of the first admin token, and bearer checks.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Role } from "@muster/protocol";
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../store/db.js";
import { apiTokens } from "../store/schema.js";
import { hashSecret, mintApiToken } from "./secrets.js";
import type { Logger } from "../log.js";

export interface Identity {
  tokenId: string;
  name: string;
  role: Role;
}

export const ADMIN_TOKEN_FILE = "admin.token";

const BOOTSTRAP_NAME = "admin (bootstrap)";
/** Serialises bootstrap across coordinators starting at once on one database. */
const BOOTSTRAP_LOCK = 7391002;

export type AdminTokenSource = "env" | "file" | "created" | "elsewhere";

/**
 * Makes sure an admin token exists. `MUSTER_ADMIN_TOKEN` wins; otherwise the token in `<dataDir>/admin.token`
 * is kept if the database knows it, and a new one is minted and written (0600) when there is none. A database
 * has one bootstrap admin: a coordinator with a fresh data directory on a database that already has one
 * (another coordinator's) mints nothing and says where to get a token.
 */
export async function bootstrapAdminToken(
  db: Db,
  opts: { dataDir: string; envToken?: string | undefined; log: Logger },
): Promise<{ token: string | null; path: string | null; source: AdminTokenSource }> {
  if (opts.envToken) {
    await ensureToken(db, opts.envToken, "admin (MUSTER_ADMIN_TOKEN)");
    return { token: opts.envToken, path: null, source: "env" };
  }
  const path = join(opts.dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(path)) {
    const token = readFileSync(path, "utf8").trim();
    if (token.length >= 20) {
      await ensureToken(db, token, BOOTSTRAP_NAME);
      return { token, path, source: "file" };
    }
  }
  const token = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`);
    const existing = await tx
      .select({ id: apiTokens.id })
      .from(apiTokens)
      .where(and(eq(apiTokens.name, BOOTSTRAP_NAME), isNull(apiTokens.revokedAt)))
      .limit(1);
    if (existing.length > 0) return null;
    const minted = mintApiToken().token;
    await ensureToken(tx, minted, BOOTSTRAP_NAME);
    return minted;
  });
  if (token === null) {
    opts.log.info(
      { path },
      "this database already has a bootstrap admin token; use it (or one made with muster tokens create), or set MUSTER_ADMIN_TOKEN",
    );
    return { token: null, path: null, source: "elsewhere" };
  }
  mkdirSync(opts.dataDir, { recursive: true });
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  opts.log.info({ path }, "admin token created");
  return { token, path, source: "created" };
}

async function ensureToken(db: Pick<Db, "select" | "insert">, token: string, name: string): Promise<void> {
  const hash = hashSecret(token);
  const found = await db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.secretHash, hash)).limit(1);
  if (found.length > 0) return;
  const m = /^mat_([A-Za-z0-9]{8,32})_/.exec(token);
  const id = m?.[1] ?? `env${hash.slice(0, 13)}`;
  await db.insert(apiTokens).values({ id, name, role: "admin", secretHash: hash }).onConflictDoNothing();
}

/** Resolves a bearer token to who holds it, or null when it is unknown or revoked. */
export async function authenticateToken(db: Db, token: string): Promise<Identity | null> {
  const rows = await db
    .select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role })
    .from(apiTokens)
    .where(and(eq(apiTokens.secretHash, hashSecret(token)), isNull(apiTokens.revokedAt)))
    .limit(1);
  const row = rows[0];
  return row ? { tokenId: row.id, name: row.name, role: row.role as Role } : null;
}

/** Resolves a token id (from a session) to who holds it, or null when it is unknown or revoked. */
export async function identityOf(db: Db, tokenId: string): Promise<Identity | null> {
  const rows = await db
    .select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role })
    .from(apiTokens)
    .where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)))
    .limit(1);
  const row = rows[0];
  return row ? { tokenId: row.id, name: row.name, role: row.role as Role } : null;
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
export function hasRole(identity: Identity, needed: Role): boolean {
  return RANK[identity.role] >= RANK[needed];
}

/** How stale `lastUsedAt` may get: it is written at most this often per token, not on every request. */
export const LAST_USED_EVERY_MS = 60_000;

/** Records when each token was last used, with at most one database write per token a minute. */
export class TokenUse {
  readonly #written = new Map<string, number>();
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  async touch(tokenId: string, now: number): Promise<void> {
    const last = this.#written.get(tokenId);
    if (last !== undefined && now - last < LAST_USED_EVERY_MS) return;
    this.#written.set(tokenId, now);
    const at = new Date(now);
    try {
      // The condition keeps several coordinators on one database from rewriting it within the minute too.
      await this.db
        .update(apiTokens)
        .set({ lastUsedAt: at })
        .where(
          and(
            eq(apiTokens.id, tokenId),
            or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, new Date(now - LAST_USED_EVERY_MS))),
          ),
        );
    } catch (err) {
      // Bookkeeping only: a failed write must not fail the request it rode on.
      this.log.warn({ err, tokenId }, "could not record token use");
    }
  }
}
