// The node's Ed25519 key pair, kept as JWKs in the config file; the private half never leaves the node.
import { exportJWK, generateKeyPair } from "jose";
import { Ed25519PublicJwk } from "@muster/protocol";
import { Ed25519PrivateJwk } from "../config.js";

export interface NodeKeyPair {
  publicKey: Ed25519PublicJwk;
  privateKey: Ed25519PrivateJwk;
}

export async function generateNodeKeyPair(): Promise<NodeKeyPair> {
  const pair = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const privateKey = Ed25519PrivateJwk.parse(await exportJWK(pair.privateKey));
  const { kty, crv, x } = privateKey;
  return { publicKey: { kty, crv, x }, privateKey };
}
