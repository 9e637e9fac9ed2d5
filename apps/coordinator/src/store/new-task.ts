// The row a submitted task starts as; one mapping for `POST /v1/tasks` and for tasks the pulse submits.
import {
  combineSelector,
  type CreateTaskRequest,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_TIMEOUT_MS,
  formatSelector,
  parseSelector,
  SelectorError,
} from "@muster/protocol";
import { MusterError } from "../errors.js";
import { tasks } from "./schema.js";

/** The canonical selector of a request (its labels and selector combined); a bad one is a validation error. */
export function requestSelector(req: Pick<CreateTaskRequest, "labels" | "selector">): string {
  try {
    return formatSelector(parseSelector(combineSelector(req.labels ?? {}, req.selector)));
  } catch (err) {
    if (err instanceof SelectorError) throw new MusterError("validation_failed", `selector: ${err.message}`);
    throw err;
  }
}

export function newTaskValues(req: CreateTaskRequest, opts: { id: string; createdBy: string; now: number }): typeof tasks.$inferInsert {
  const { id, createdBy, now } = opts;
  return {
    id,
    name: req.name ?? null,
    agent: req.agent,
    argv: req.argv ?? [],
    prompt: req.prompt ?? null,
    model: req.model ?? null,
    thinking: req.thinking ?? null,
    env: req.env ?? {},
    selector: requestSelector(req),
    priority: req.priority ?? 0,
    timeoutMs: req.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxAttempts: req.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    idempotent: req.idempotent ?? false,
    onDisconnect: req.onDisconnect ?? "stop",
    policy: req.policy ?? null,
    // Warm caches are per repository unless the task names its own key.
    affinityKey: req.affinityKey ?? req.repo ?? null,
    spreadLabel: req.spreadLabel ?? null,
    groupName: req.group ?? null,
    groupLimit: req.groupLimit ?? null,
    maxCostUsd: req.maxCostUsd ?? null,
    retryOn: req.retryOn ?? null,
    repo: req.repo ?? null,
    ref: req.ref ?? null,
    verify: req.verify ?? null,
    idleTimeoutMs: req.idleTimeoutMs ?? null,
    outputCapBytes: req.outputCapBytes ?? null,
    approveBefore: req.approveBefore ?? null,
    approveTools: req.approveTools ?? null,
    approveToolsTimeoutMs: req.approveToolsTimeoutMs ?? null,
    network: req.network ?? null,
    queuedAt: new Date(now),
    createdBy,
    createdAt: new Date(now),
    updatedAt: new Date(now),
  };
}
