// Checks the short JWT a node signs to open its websocket (DESIGN §5).
import { NODE_JWT_ALG, NODE_JWT_MAX_TTL_S } from "@muster/protocol";
import { decodeJwt, importJWK, jwtVerify } from "jose";
import { eq, lt } from "drizzle-orm";
import type { Clock } from "../clock.js";
import { MusterError } from "../errors.js";
import type { Db } from "../store/db.js";
import { nodeJwtIds, nodes } from "../store/schema.js";

export type NodeRow = typeof nodes.$inferSelect;

/** Allowed difference between the node's clock and ours when checking iat/exp. */
export const CLOCK_TOLERANCE_S = 30;
/**
 * Oldest `iat` accepted. With `exp - iat` capped this also bounds how long a signed token stays usable, however its
 * `exp` was chosen; jose refuses an `iat` more than the tolerance in the future along with it.
 */
export const NODE_JWT_MAX_AGE_S = NODE_JWT_MAX_TTL_S;

export async function verifyNodeJwt(db: Db, token: string, opts: { audience: string; clock: Clock }): Promise<NodeRow> {
  let nodeId: string | undefined;
  try {
    nodeId = decodeJwt(token).iss;
  } catch {
    throw new MusterError("unauthorized", "malformed node token");
  }
  if (!nodeId) throw new MusterError("unauthorized", "node token has no issuer");
  const rows = await db.select().from(nodes).where(eq(nodes.id, nodeId)).limit(1);
  const node = rows[0];
  if (!node) throw new MusterError("unauthorized", "unknown node");
  const key = await importJWK({ kty: "OKP", crv: "Ed25519", x: node.publicKey.x }, NODE_JWT_ALG);
  const now = opts.clock.now();
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [NODE_JWT_ALG],
      audience: opts.audience,
      issuer: nodeId,
      requiredClaims: ["exp", "iat", "jti"],
      clockTolerance: CLOCK_TOLERANCE_S,
      maxTokenAge: NODE_JWT_MAX_AGE_S,
      currentDate: new Date(now),
    }));
  } catch (err) {
    throw new MusterError("unauthorized", `node token rejected: ${(err as Error).message}`);
  }
  const { exp, iat, jti } = payload as { exp: number; iat: number; jti: string };
  if (exp - iat > NODE_JWT_MAX_TTL_S) throw new MusterError("unauthorized", `node token lives longer than ${NODE_JWT_MAX_TTL_S}s`);
  if (node.state === "revoked" || node.revokedAt) throw new MusterError("node_revoked", "node has been revoked");
  const inserted = await db
    .insert(nodeJwtIds)
    .values({ jti: `${nodeId}:${jti}`, nodeId, expiresAt: new Date((exp + CLOCK_TOLERANCE_S) * 1000) })
    .onConflictDoNothing()
    .returning({ jti: nodeJwtIds.jti });
  if (inserted.length === 0) throw new MusterError("unauthorized", "node token was already used");
  return node;
}

/** Forgets used JWT ids whose tokens have expired; replaying those fails on `exp` anyway. */
export async function pruneJwtIds(db: Db, clock: Clock): Promise<void> {
  await db.delete(nodeJwtIds).where(lt(nodeJwtIds.expiresAt, new Date(clock.now())));
}
