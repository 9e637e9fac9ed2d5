// The pulse (DESIGN §12): the moves a decider may make, sensor readings, and the HTTP bodies of goals, the
// PLAYBOOK, sensors, schedules, decisions and the journal.
import { z } from "zod";
import { CreateTaskRequest, MAX_ARGV } from "./task.js";
import { AgentName, Iso } from "./values.js";

/** Names people and deciders choose (goal ids, sensors, workers, schedules): no slash, safe in a URL path. */
const Name = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(64, `${what} is at most 64 characters`)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, `${what} is letters, digits, '.', '_' and '-' (no slash, no spaces)`);

export const GoalId = Name("a goal id");
export const SensorName = Name("a sensor name");
export const WorkerId = Name("a worker id");
export const ScheduleName = Name("a schedule name");

export const MAX_PLAYBOOK_BYTES = 64 * 1024;
export const MAX_GOAL_BYTES = 16 * 1024;
/** A sensor prints at most this much JSON; more is a failed reading. */
export const MAX_SENSOR_OUTPUT_BYTES = 8 * 1024;
export const DEFAULT_SENSOR_TIMEOUT_MS = 60_000;
export const DEFAULT_PULSE_INTERVAL_MS = 60_000;
export const DEFAULT_MAX_DECIDES_PER_HOUR = 120;
export const PLAYBOOK_VERSIONS_KEPT = 20;
/** `next_interval_s` is clamped to this range. */
export const MIN_INTERVAL_S = 5;
export const MAX_INTERVAL_S = 300;

export function clampIntervalS(s: number): number {
  return Math.min(MAX_INTERVAL_S, Math.max(MIN_INTERVAL_S, s));
}

const bytes = (s: string) => new TextEncoder().encode(s).length;
const capped = (max: number, what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .refine((s) => bytes(s) <= max, `${what} is over the ${max} byte cap`);

export const PlaybookText = capped(MAX_PLAYBOOK_BYTES, "the PLAYBOOK");
export const GoalText = capped(MAX_GOAL_BYTES, "a goal");
const Argv = z.array(z.string().max(64 * 1024)).min(1, "a command needs at least one word").max(MAX_ARGV);

// ---- moves ----------------------------------------------------------------------------------

const MoveBase = {
  /** One line for the journal: what and why. */
  journal: z.string().min(1).max(2000),
  /** When to beat again, in seconds; clamped to 5–300. */
  next_interval_s: z.number().positive().optional(),
  /** The decider says this cannot be undone: it waits for a person's "yes". */
  irreversible: z.boolean().optional(),
};

export const NoopMove = z.object({ move: z.literal("noop"), ...MoveBase });
export const WriteGoalMove = z.object({ move: z.literal("write_goal"), ...MoveBase, id: GoalId, text: GoalText });
export const ArchiveGoalMove = z.object({ move: z.literal("archive_goal"), ...MoveBase, id: GoalId });
export const WritePlaybookMove = z.object({ move: z.literal("write_playbook"), ...MoveBase, text: PlaybookText });
export const WriteSensorMove = z.object({
  move: z.literal("write_sensor"),
  ...MoveBase,
  name: SensorName,
  command: Argv,
  every_s: z.number().int().min(1).max(7 * 86_400),
  selector: z.string().max(2000).optional(),
  timeout_s: z.number().int().min(1).max(3600).optional(),
});
export const DropSensorMove = z.object({ move: z.literal("drop_sensor"), ...MoveBase, name: SensorName });
/**
 * Everything `muster submit` takes (the `POST /v1/tasks` body) sits beside `id`; `command` is the argv of an
 * `exec` worker. `parseMove` checks those fields against the submit schema.
 */
export const StartWorkerMove = z
  .object({ move: z.literal("start_worker"), ...MoveBase, id: WorkerId, command: Argv.optional() })
  .catchall(z.unknown());
export const KillWorkerMove = z.object({ move: z.literal("kill_worker"), ...MoveBase, id: WorkerId });
export const TellWorkerMove = z.object({ move: z.literal("tell_worker"), ...MoveBase, id: WorkerId, text: z.string().min(1).max(8000) });
export const RunCommandMove = z.object({
  move: z.literal("run_command"),
  ...MoveBase,
  command: Argv,
  selector: z.string().max(2000).optional(),
  timeout_s: z.number().int().min(1).max(86_400).optional(),
});
export const WriteScheduleMove = z.object({
  move: z.literal("write_schedule"),
  ...MoveBase,
  name: ScheduleName,
  /** Wake once at this time (ISO 8601)... */
  at: z.iso.datetime({ offset: true }).optional(),
  /** ...or every this many seconds. */
  every_s: z.number().int().min(MIN_INTERVAL_S).max(30 * 86_400).optional(),
  note: z.string().max(2000).optional(),
});
export const DropScheduleMove = z.object({ move: z.literal("drop_schedule"), ...MoveBase, name: ScheduleName });

export const PulseMove = z.discriminatedUnion("move", [
  NoopMove,
  WriteGoalMove,
  ArchiveGoalMove,
  WritePlaybookMove,
  WriteSensorMove,
  DropSensorMove,
  StartWorkerMove,
  KillWorkerMove,
  TellWorkerMove,
  RunCommandMove,
  WriteScheduleMove,
  DropScheduleMove,
]);
export type PulseMove = z.infer<typeof PulseMove>;
export type MoveKind = PulseMove["move"];
export const MOVE_KINDS = PulseMove.options.map((o) => o.shape.move.value) as MoveKind[];

const START_WORKER_OWN = new Set(["move", "journal", "next_interval_s", "irreversible", "id", "command"]);

/** The task a `start_worker` move submits. */
export function workerTaskRequest(move: z.infer<typeof StartWorkerMove>): z.ZodSafeParseResult<CreateTaskRequest> {
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(move)) if (!START_WORKER_OWN.has(k)) body[k] = v;
  if (move.command && body.argv === undefined) body.argv = move.command;
  if (body.name === undefined) body.name = `worker ${move.id}`;
  return CreateTaskRequest.safeParse(body);
}

export type MoveParse = { ok: true; move: PulseMove } | { ok: false; error: string };

const describe = (err: z.ZodError) =>
  err.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");

/** Exactly one move or a reason why not; never a guess. */
export function parseMove(value: unknown): MoveParse {
  if (Array.isArray(value)) return { ok: false, error: `the decider wrote ${value.length} moves; exactly one is allowed` };
  if (typeof value !== "object" || value === null) return { ok: false, error: "the decider's result is not a JSON object" };
  const kind = (value as { move?: unknown }).move;
  if (typeof kind !== "string" || !(MOVE_KINDS as string[]).includes(kind))
    return { ok: false, error: `unknown move ${JSON.stringify(kind ?? null)}; one of: ${MOVE_KINDS.join(", ")}` };
  const parsed = PulseMove.safeParse(value);
  if (!parsed.success) return { ok: false, error: `move ${kind}: ${describe(parsed.error)}` };
  const move = parsed.data;
  if (move.move === "start_worker") {
    const task = workerTaskRequest(move);
    if (!task.success) return { ok: false, error: `move start_worker: ${describe(task.error)}` };
  }
  if (move.move === "write_schedule" && (move.at === undefined) === (move.every_s === undefined))
    return { ok: false, error: "move write_schedule: give exactly one of at and every_s" };
  return { ok: true, move };
}

// ---- sensors --------------------------------------------------------------------------------

/** What a sensor prints: one JSON object; its `signal` (or the whole object) is what counts as a change. */
export const SensorReading = z.record(z.string(), z.unknown());
export type SensorReading = z.infer<typeof SensorReading>;

export const ReadingView = z.object({
  id: z.string(),
  sensor: z.string(),
  ok: z.boolean(),
  signal: z.unknown(),
  detail: z.unknown(),
  error: z.string().nullable(),
  taskId: z.string().nullable(),
  takenAt: Iso,
});
export type ReadingView = z.infer<typeof ReadingView>;

export const WriteSensorRequest = z
  .object({
    argv: Argv,
    everyMs: z.number().int().min(1000).max(7 * 86_400_000),
    selector: z.string().max(2000).optional(),
    timeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
  })
  .strict();
export type WriteSensorRequest = z.infer<typeof WriteSensorRequest>;

export const SensorView = z.object({
  name: z.string(),
  argv: z.array(z.string()),
  everyMs: z.number().int(),
  selector: z.string(),
  timeoutMs: z.number().int(),
  nextRunAt: Iso.nullable(),
  /** A task now taking a reading. */
  runningTaskId: z.string().nullable(),
  /** Its signal changed at each of the last 5 decisions or more. */
  flapping: z.boolean(),
  last: ReadingView.nullable(),
  createdAt: Iso,
  updatedAt: Iso,
});
export type SensorView = z.infer<typeof SensorView>;
export const SensorList = z.object({ sensors: z.array(SensorView) });
/** `DELETE /v1/sensors/:name`. */
export const SensorDropped = z.object({ name: z.string(), dropped: z.literal(true) });
export type SensorDropped = z.infer<typeof SensorDropped>;
export type SensorList = z.infer<typeof SensorList>;

// ---- goals and the PLAYBOOK -----------------------------------------------------------------

export const GoalState = z.enum(["active", "archived"]);
export const WriteGoalRequest = z.object({ text: GoalText }).strict();
export type WriteGoalRequest = z.infer<typeof WriteGoalRequest>;
export const GoalView = z.object({
  id: z.string(),
  text: z.string(),
  state: GoalState,
  createdAt: Iso,
  updatedAt: Iso,
  archivedAt: Iso.nullable(),
});
export type GoalView = z.infer<typeof GoalView>;
export const GoalList = z.object({ goals: z.array(GoalView) });
export type GoalList = z.infer<typeof GoalList>;
export const GoalListQuery = z.object({ all: z.enum(["true", "false"]).optional() });

export const WritePlaybookRequest = z.object({ text: PlaybookText }).strict();
export type WritePlaybookRequest = z.infer<typeof WritePlaybookRequest>;
export const PlaybookView = z.object({
  version: z.number().int().positive(),
  text: z.string(),
  createdBy: z.string().nullable(),
  createdAt: Iso,
  /** Versions still kept, newest first. */
  versions: z.array(z.number().int()),
});
export type PlaybookView = z.infer<typeof PlaybookView>;
export const PlaybookQuery = z.object({ version: z.coerce.number().int().positive().optional() });

// ---- schedules ------------------------------------------------------------------------------

export const ScheduleView = z.object({
  name: z.string(),
  at: Iso.nullable(),
  everyMs: z.number().int().nullable(),
  nextAt: Iso.nullable(),
  note: z.string().nullable(),
  createdAt: Iso,
});
export type ScheduleView = z.infer<typeof ScheduleView>;

// ---- the pulse itself -----------------------------------------------------------------------

/** The tick agent: a preset (`claude`, ...) or, with `argv`, a custom decider command run as `exec`. */
export const PulseAgent = z.object({
  agent: AgentName,
  model: z.string().max(200).nullable(),
  selector: z.string().max(2000),
  argv: z.array(z.string().max(64 * 1024)).max(MAX_ARGV),
});
export type PulseAgent = z.infer<typeof PulseAgent>;

export const PulseConfigureRequest = z
  .object({
    agent: AgentName.optional(),
    model: z.string().min(1).max(200).nullable().optional(),
    selector: z.string().max(2000).optional(),
    /** A custom decider's argv (agent becomes `exec`); an empty list goes back to the preset. */
    argv: z.array(z.string().max(64 * 1024)).max(MAX_ARGV).optional(),
    /** Time between beats; under 5 s only makes sense for tests. */
    intervalMs: z.number().int().min(1000).max(MAX_INTERVAL_S * 1000).optional(),
    maxDecidesPerHour: z.number().int().min(1).max(100_000).optional(),
  })
  .strict()
  .refine((r) => !(r.argv && r.argv.length > 0 && r.agent !== undefined && r.agent !== "exec"), {
    message: "a custom decider command runs as agent exec",
    path: ["agent"],
  });
export type PulseConfigureRequest = z.infer<typeof PulseConfigureRequest>;

export const PulsePhase = z.enum(["paused", "idle", "deciding", "waiting_approval", "waiting_budget", "backing_off"]);
export type PulsePhase = z.infer<typeof PulsePhase>;

export const PulseStatus = z.object({
  phase: PulsePhase,
  paused: z.boolean(),
  /** Why the pulse is in its phase, in words. */
  reason: z.string().nullable(),
  agent: PulseAgent,
  intervalMs: z.number().int(),
  maxDecidesPerHour: z.number().int(),
  decidesLastHour: z.number().int(),
  nextBeatAt: Iso.nullable(),
  backoffUntil: Iso.nullable(),
  lastFailure: z.string().nullable(),
  lastDecisionId: z.string().nullable(),
  decidingTaskId: z.string().nullable(),
  goals: z.number().int(),
  sensors: z.number().int(),
  schedules: z.array(ScheduleView),
});
export type PulseStatus = z.infer<typeof PulseStatus>;

export const DecisionState = z.enum(["deciding", "decided", "waiting", "done", "failed", "refused"]);
export type DecisionState = z.infer<typeof DecisionState>;

export const DecisionView = z.object({
  id: z.string(),
  state: DecisionState,
  taskId: z.string().nullable(),
  hash: z.string(),
  move: z.unknown().nullable(),
  /** Why the beat failed or the move could not be carried out. */
  error: z.string().nullable(),
  askId: z.string().nullable(),
  /** The task a start_worker or run_command move submitted. */
  resultTaskId: z.string().nullable(),
  prompt: z.string().optional(),
  raw: z.string().nullable().optional(),
  createdAt: Iso,
  decidedAt: Iso.nullable(),
  doneAt: Iso.nullable(),
});
export type DecisionView = z.infer<typeof DecisionView>;
export const DecisionList = z.object({ decisions: z.array(DecisionView) });
export type DecisionList = z.infer<typeof DecisionList>;

export const JournalKind = z.enum(["move", "failure", "skip", "human", "gate", "info"]);
export const JournalEntry = z.object({
  id: z.number().int(),
  at: Iso,
  kind: JournalKind,
  text: z.string(),
  decisionId: z.string().nullable(),
});
export type JournalEntry = z.infer<typeof JournalEntry>;
export const JournalList = z.object({ entries: z.array(JournalEntry) });
export type JournalList = z.infer<typeof JournalList>;
export const JournalQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  /** Only entries after this id (for `muster journal -f`). */
  after: z.coerce.number().int().nonnegative().optional(),
  waitMs: z.coerce.number().int().min(0).max(60_000).optional(),
});
