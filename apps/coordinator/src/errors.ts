// One error class for everything that ends as an HTTP error body or a protocol error frame.
import type { ErrorCode } from "@muster/protocol";

const STATUS: Partial<Record<ErrorCode, number>> = {
  bad_request: 400,
  validation_failed: 400,
  unknown_agent: 400,
  unauthorized: 401,
  join_key_invalid: 401,
  join_key_expired: 401,
  join_key_exhausted: 401,
  forbidden: 403,
  node_revoked: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  invalid_state: 409,
  name_taken: 409,
  payload_too_large: 413,
  rate_limited: 429,
  too_many_streams: 429,
  internal: 500,
  unavailable: 503,
};

export class MusterError extends Error {
  override name = "MusterError";
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = STATUS[code] ?? 400;
  }
}
