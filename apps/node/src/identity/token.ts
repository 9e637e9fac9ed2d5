// Short-lived JWTs the node signs to open its websocket (DESIGN §5): one fresh token per attempt.
import { randomUUID } from "node:crypto";
import { importJWK, SignJWT } from "jose";
import { NODE_JWT_ALG, NODE_JWT_MAX_TTL_S } from "@muster/protocol";
import type { Ed25519PrivateJwk } from "../config.js";

/** Comfortably below the 60 s ceiling, and long enough for a slow handshake. */
export const NODE_JWT_TTL_S = 30;

export interface NodeTokenOptions {
  nodeId: string;
  audience: string;
  privateKey: Ed25519PrivateJwk;
  ttlSeconds?: number;
  now?: () => number;
  newJti?: () => string;
}

export type SignNodeToken = () => Promise<string>;

export async function createNodeTokenSigner({
  nodeId,
  audience,
  privateKey,
  ttlSeconds = NODE_JWT_TTL_S,
  now = Date.now,
  newJti = randomUUID,
}: NodeTokenOptions): Promise<SignNodeToken> {
  if (ttlSeconds <= 0 || ttlSeconds > NODE_JWT_MAX_TTL_S)
    throw new RangeError(`node token lifetime must be 1..${NODE_JWT_MAX_TTL_S} s`);
  const key = await importJWK(privateKey, NODE_JWT_ALG);
  return async function signNodeToken() {
    const iat = Math.floor(now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: NODE_JWT_ALG, typ: "JWT" })
      .setIssuer(nodeId)
      .setSubject(nodeId)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .setJti(newJti())
      .sign(key);
  };
}
