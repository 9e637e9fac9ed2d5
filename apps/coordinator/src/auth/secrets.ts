// Secrets are shown once and stored only as SHA-256 hashes; they carry 256 random bits, so no slow hash is needed.
import { createHash, timingSafeEqual } from "node:crypto";
import { API_TOKEN_PREFIX, JOIN_KEY_PREFIX } from "@muster/protocol";
import { newSecret, newShortId } from "../ids.js";

export function hashSecret(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

export function mintJoinKey(): { id: string; key: string } {
  const id = newShortId(16);
  return { id, key: `${JOIN_KEY_PREFIX}_${id}_${newSecret()}` };
}

export function mintApiToken(): { id: string; token: string } {
  const id = newShortId(16);
  return { id, token: `${API_TOKEN_PREFIX}_${id}_${newSecret()}` };
}
