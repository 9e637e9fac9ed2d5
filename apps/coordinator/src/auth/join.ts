// Enrolment: a join key buys a node identity bound to the node's Ed25519 public key.
import type { JoinRequest, JoinResponse } from "@muster/protocol";
import { splitSecret, JOIN_KEY_PREFIX } from "@muster/protocol";
import { and, eq, ne, sql } from "drizzle-orm";
import type { Clock } from "../clock.js";
import { MusterError } from "../errors.js";
import { newId } from "../ids.js";
import type { Db } from "../store/db.js";
import { joinKeys, nodes } from "../store/schema.js";
import { hashSecret, sameHash } from "./secrets.js";

export async function joinNode(db: Db, req: JoinRequest, opts: { audience: string; clock: Clock }): Promise<JoinResponse> {
  const parts = splitSecret(JOIN_KEY_PREFIX, req.key);
  if (!parts) throw new MusterError("join_key_invalid", "join key is not valid");
  const now = new Date(opts.clock.now());
  return db.transaction(async (tx) => {
    const rows = await tx.select().from(joinKeys).where(eq(joinKeys.id, parts.id)).for("update");
    const key = rows[0];
    if (!key || !sameHash(key.secretHash, hashSecret(req.key)) || key.revokedAt)
      throw new MusterError("join_key_invalid", "join key is not valid");
    if (key.expiresAt <= now) throw new MusterError("join_key_expired", "join key has expired");
    if (key.used >= key.uses) throw new MusterError("join_key_exhausted", "join key has been used up");
    const taken = await tx
      .select({ id: nodes.id })
      .from(nodes)
      .where(and(eq(nodes.name, req.name), ne(nodes.state, "revoked")))
      .limit(1);
    if (taken.length > 0)
      throw new MusterError("name_taken", `a node named ${req.name} is already enrolled; revoke it first or pick another name`);
    const labels = { ...req.labels, ...key.labels };
    const id = newId("nod", now.getTime());
    await tx.insert(nodes).values({
      id,
      name: req.name,
      publicKey: { kty: "OKP", crv: "Ed25519", x: req.publicKey.x },
      labels,
      capacity: req.capacity,
      hostname: req.hostname ?? null,
      version: req.version ?? null,
      joinKeyId: key.id,
      joinedAt: now,
    });
    await tx.update(joinKeys).set({ used: sql`${joinKeys.used} + 1` }).where(eq(joinKeys.id, key.id));
    return { nodeId: id, name: req.name, audience: opts.audience, labels, capacity: req.capacity };
  });
}
