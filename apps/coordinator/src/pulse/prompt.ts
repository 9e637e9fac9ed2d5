// The decide prompt: stable parts first (constitution, instructions, PLAYBOOK, goals) so prompt caches hold, then
// what moves each beat. Every part has a size cap, so one noisy sensor or a long journal cannot crowd out the rest.
import { MAX_INTERVAL_S, MIN_INTERVAL_S, MOVE_KINDS } from "@muster/protocol";

export const CONSTITUTION = `You are the pulse of a Muster fleet: at each beat you choose the single most important next move
toward the team's goals, following the PLAYBOOK. You act only through the one move you write. You never guess
what you cannot see; when nothing that matters changed, the right move is noop. Prefer reversible, small moves.
A person's word (goals, PLAYBOOK, answers) outranks your own judgment. Never kill a worker that waits on a person.`;

export const INSTRUCTIONS = `Write exactly one JSON object, the move, to the file named by $MUSTER_RESULT_FILE, and nothing else there.
Every move has "move" (its kind), "journal" (one line: what and why), and may have "next_interval_s"
(when to look again, ${MIN_INTERVAL_S}-${MAX_INTERVAL_S}) and "irreversible": true (a person must approve it first).
Kinds: ${MOVE_KINDS.join(", ")}.
  {"move":"noop","journal":"nothing changed that matters"}
  {"move":"write_goal","id":"ci-green","text":"...","journal":"..."}    {"move":"archive_goal","id":"ci-green","journal":"..."}
  {"move":"write_playbook","text":"...","journal":"..."}
  {"move":"write_sensor","name":"ci","command":["sh","-c","..."],"every_s":300,"selector":"os=linux","timeout_s":60,"journal":"..."}
  {"move":"drop_sensor","name":"ci","journal":"..."}
  {"move":"start_worker","id":"fix-ci","agent":"claude","prompt":"...","repo":"...","selector":"...","verify":"npm test","journal":"..."}
    (start_worker takes everything muster submit takes; for agent exec give "command": [argv...])
  {"move":"kill_worker","id":"fix-ci","journal":"..."}    {"move":"tell_worker","id":"fix-ci","text":"...","journal":"..."}
  {"move":"run_command","command":["make","report"],"selector":"...","journal":"..."}
  {"move":"write_schedule","name":"nightly","at":"2030-01-01T02:00:00Z","journal":"..."} or with "every_s": 3600
  {"move":"drop_schedule","name":"nightly","journal":"..."}
Commands matching the fleet's gate patterns (force push, deploy, delete, merge) wait for a person's approval.`;

export interface PromptReading {
  sensor: string;
  ok: boolean;
  signal: unknown;
  detail: unknown;
  error: string | null;
  ageMs: number;
  flapping: boolean;
}

export interface PromptWorker {
  id: string;
  taskId: string;
  state: string;
  waiting: boolean;
  stuck: boolean;
  result: unknown;
  message: string | null;
}

export interface PromptInput {
  playbook: string;
  goals: readonly { id: string; text: string }[];
  readings: readonly PromptReading[];
  asks: readonly { id: string; question: string; taskId: string }[];
  workers: readonly PromptWorker[];
  journal: readonly { at: string; kind: string; text: string }[];
  changed: readonly string[];
  lastFailure: string | null;
  now: Date;
}

/** Per-part caps, in characters. */
export const PROMPT_CAPS = {
  playbook: 64 * 1024,
  goals: 32 * 1024,
  reading: 2048,
  readings: 32 * 1024,
  asks: 8 * 1024,
  workers: 16 * 1024,
  journal: 8 * 1024,
  failure: 2048,
};

export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n[... ${text.length - max} more characters cut]`;
}

const json = (v: unknown) => (v === undefined ? "-" : JSON.stringify(v));

function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

/** Lines of one part, stopping (and saying so) once the part's cap is reached. */
function cappedLines(lines: readonly string[], max: number, none: string): string {
  if (lines.length === 0) return none;
  const out: string[] = [];
  let used = 0;
  for (const [i, line] of lines.entries()) {
    if (used + line.length > max) {
      out.push(`[... ${lines.length - i} more cut]`);
      break;
    }
    out.push(line);
    used += line.length + 1;
  }
  return out.join("\n");
}

function readingLine(r: PromptReading): string {
  const flap = r.flapping ? " FLAPPING (changed at each of the last 5 decisions)" : "";
  if (!r.ok) return `- ${r.sensor}: FAILED ${ago(r.ageMs)}: ${r.error ?? "no reading"}`;
  const detail = r.detail === undefined ? "" : `\n  detail: ${capText(json(r.detail), PROMPT_CAPS.reading)}`;
  return `- ${r.sensor} (${ago(r.ageMs)})${flap}: signal ${capText(json(r.signal), PROMPT_CAPS.reading)}${detail}`;
}

function workerLine(w: PromptWorker): string {
  const flags = [w.waiting ? "WAITING ON A PERSON (never kill it)" : "", w.stuck ? "STUCK (no output for 15 min)" : ""].filter(Boolean);
  const result = w.result === undefined ? "" : `; result ${capText(json(w.result), PROMPT_CAPS.reading)}`;
  const message = w.message ? `; ${w.message}` : "";
  return `- ${w.id} (task ${w.taskId}): ${w.state}${flags.length ? ` ${flags.join(", ")}` : ""}${message}${result}`;
}

export function buildPrompt(p: PromptInput): string {
  const parts = [
    `# Constitution\n${CONSTITUTION}`,
    `# Instructions\n${INSTRUCTIONS}`,
    `# PLAYBOOK\n${capText(p.playbook || "(empty)", PROMPT_CAPS.playbook)}`,
    `# Goals\n${cappedLines(p.goals.map((g) => `- ${g.id}: ${g.text}`), PROMPT_CAPS.goals, "(no active goals)")}`,
    `# Sensor readings\n${cappedLines(p.readings.map(readingLine), PROMPT_CAPS.readings, "(no sensors)")}`,
    `# Pending asks\n${cappedLines(p.asks.map((a) => `- ${a.id} (task ${a.taskId}): ${a.question}`), PROMPT_CAPS.asks, "(none)")}`,
    `# Workers\n${cappedLines(p.workers.map(workerLine), PROMPT_CAPS.workers, "(none)")}`,
    `# Recent journal\n${cappedLines(p.journal.map((j) => `- ${j.at} [${j.kind}] ${j.text}`), PROMPT_CAPS.journal, "(empty)")}`,
    `# What changed since the last decision\n${p.changed.length ? p.changed.map((c) => `- ${c}`).join("\n") : "(nothing; this is a scheduled or requested look)"}`,
    `# Last failure\n${p.lastFailure ? capText(p.lastFailure, PROMPT_CAPS.failure) : "(none)"}`,
    `# Time\n${p.now.toISOString()}`,
  ];
  return `${parts.join("\n\n")}\n`;
}
