// Formats of secrets and node tokens (DESIGN §5).
export const JOIN_KEY_PREFIX = "mjk";
export const API_TOKEN_PREFIX = "mat";
/** Upper bound on a node JWT's lifetime. */
export const NODE_JWT_MAX_TTL_S = 60;
export const NODE_JWT_ALG = "EdDSA";

/** Splits `<prefix>_<id>_<secret>`; returns null when the text is not of that shape. */
export function splitSecret(prefix: string, text: string): { id: string; secret: string } | null {
  const m = new RegExp(`^${prefix}_([A-Za-z0-9]{8,32})_([A-Za-z0-9_-]{20,100})$`).exec(text.trim());
  return m ? { id: m[1]!, secret: m[2]! } : null;
}
