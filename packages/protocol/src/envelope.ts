// The frame every websocket message travels in (DESIGN §3).
import { z } from "zod";

export const PROTOCOL_VERSION = 1 as const;
/** Frames over this size close the socket with 1009. */
export const MAX_FRAME_BYTES = 1024 * 1024;

export const MessageId = z.string().min(1).max(64);

export const Envelope = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.string().min(1).max(64),
  id: MessageId.optional(),
  re: MessageId.optional(),
  payload: z.unknown(),
});
export type Envelope = z.infer<typeof Envelope>;
