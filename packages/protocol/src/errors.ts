// Error codes that cross a process boundary: HTTP bodies, protocol `error` frames, CLI output.
import { z } from "zod";

export const ErrorCode = z.enum([
  // request shape
  "bad_request",
  "validation_failed",
  "unknown_agent",
  "payload_too_large",
  "not_found",
  "method_not_allowed",
  "conflict",
  "invalid_state",
  // auth
  "unauthorized",
  "forbidden",
  "join_key_invalid",
  "join_key_expired",
  "join_key_exhausted",
  "node_revoked",
  "name_taken",
  // wire protocol
  "malformed_frame",
  "unknown_type",
  "invalid_payload",
  "version_mismatch",
  "not_ready",
  "stale_claim",
  "unknown_claim",
  // server side
  "internal",
  "unavailable",
  // limits
  "rate_limited",
  "too_many_streams",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({
  error: z.object({
    code: ErrorCode,
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Websocket close codes Muster uses beyond the standard ones. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  tooLarge: 1009,
  versionMismatch: 4000,
  revoked: 4001,
  replaced: 4002,
  shutdown: 4003,
} as const;
