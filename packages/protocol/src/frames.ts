// Decoding and encoding of websocket frames against a catalog; never throws on bad input.
import type { z } from "zod";
import { Envelope, MAX_FRAME_BYTES, PROTOCOL_VERSION } from "./envelope.js";
import type { ErrorCode } from "./errors.js";
import type { Catalog, MessageOf } from "./messages.js";

export type DecodeResult<C extends Catalog> =
  | { ok: true; message: MessageOf<C> }
  | { ok: false; code: ErrorCode; message: string; id?: string };

function describe(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}

/** Parses one text frame against a catalog. */
export function decodeFrame<C extends Catalog>(catalog: C, raw: string): DecodeResult<C> {
  if (Buffer.byteLength(raw) > MAX_FRAME_BYTES)
    return { ok: false, code: "malformed_frame", message: `frame over ${MAX_FRAME_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, code: "malformed_frame", message: "frame is not valid JSON" };
  }
  const env = Envelope.safeParse(json);
  if (!env.success) {
    const v = (json as { v?: unknown } | null)?.v;
    if (v !== undefined && v !== PROTOCOL_VERSION)
      return { ok: false, code: "version_mismatch", message: `protocol version ${String(v)} is not supported` };
    return { ok: false, code: "malformed_frame", message: `bad envelope: ${describe(env.error)}` };
  }
  const { type, id, re, payload } = env.data;
  const schema = Object.prototype.hasOwnProperty.call(catalog, type) ? catalog[type] : undefined;
  if (!schema) return { ok: false, code: "unknown_type", message: `unknown message type "${type}"`, ...(id ? { id } : {}) };
  const body = schema.safeParse(payload);
  if (!body.success)
    return { ok: false, code: "invalid_payload", message: `invalid ${type}: ${describe(body.error)}`, ...(id ? { id } : {}) };
  const message = { type, payload: body.data, ...(id ? { id } : {}), ...(re ? { re } : {}) };
  return { ok: true, message: message as MessageOf<C> };
}

/** Builds one text frame; the payload is validated so a sender cannot put a bad frame on the wire. */
export function encodeFrame<C extends Catalog, K extends keyof C & string>(
  catalog: C,
  type: K,
  payload: z.input<C[K]>,
  ids: { id?: string; re?: string } = {},
): string {
  const parsed = catalog[type]!.parse(payload);
  return JSON.stringify({ v: PROTOCOL_VERSION, type, ...ids, payload: parsed });
}
