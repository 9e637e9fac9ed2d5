// The local endpoint a node offers its workers (DESIGN §8): newline-delimited JSON over a unix socket named in
// MUSTER_ASK_SOCKET; every request carries the claim's secret from MUSTER_ASK_SECRET.
import { z } from "zod";
import { MAX_APPROVAL_TIMEOUT_MS, ToolAsk } from "./approvals.js";

export const LOCAL_SOCKET_ENV = "MUSTER_ASK_SOCKET";
export const LOCAL_SECRET_ENV = "MUSTER_ASK_SECRET";

export const LocalRequest = z.discriminatedUnion("op", [
  z.object({
    op: z.literal("ask"),
    secret: z.string(),
    question: z.string().min(1).max(8000),
    options: z.array(z.string().min(1).max(200)).max(20).default([]),
    gate: z.string().max(100).nullable().default(null),
    /** A tool call waiting for approval (from the claim's permission prompt tool). */
    tool: ToolAsk.optional(),
    /** Unanswered after this long, the ask fails with code `ask_expired`. */
    timeoutMs: z.number().int().positive().max(MAX_APPROVAL_TIMEOUT_MS).optional(),
  }),
  z.object({ op: z.literal("told"), secret: z.string() }),
]);
export type LocalRequest = z.infer<typeof LocalRequest>;

export const LocalAnswer = z.object({
  op: z.literal("answer"),
  askId: z.string(),
  answer: z.string(),
  answeredBy: z.string(),
  reason: z.string().optional(),
});
export const LocalTold = z.object({ op: z.literal("told"), messages: z.array(z.object({ text: z.string(), from: z.string() })) });
export const LocalError = z.object({ op: z.literal("error"), code: z.string(), message: z.string() });

export const LocalResponse = z.discriminatedUnion("op", [LocalAnswer, LocalTold, LocalError]);
export type LocalResponse = z.infer<typeof LocalResponse>;
