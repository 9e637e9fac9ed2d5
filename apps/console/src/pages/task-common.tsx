// Helpers the task list, the task page and the submit form share: titles, excerpts, durations, command lines.
import { isTerminalTaskState, type TaskView } from "@muster/protocol";
import { StateBadge, useNow } from "../components/ui";
import { duration } from "../format";

/** What a task is called on screen: its name, or its id. */
export function taskTitle(t: Pick<TaskView, "id" | "name">): string {
  return t.name ?? t.id;
}

/** The first line of the prompt, or the command line, cut to `max` characters. */
export function taskExcerpt(t: Pick<TaskView, "prompt" | "argv">, max = 90): string {
  const text = t.prompt !== null && t.prompt !== "" ? t.prompt : joinArgv(t.argv);
  const line = text.trim().split("\n", 1)[0] ?? "";
  const more = line.length > max || text.trim().includes("\n");
  return line.length > max ? `${line.slice(0, max - 1)}…` : more ? `${line} …` : line;
}

/** Splits a command line into argv: whitespace separates, '…' is literal, "…" and \ escape. */
export function splitCommand(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error("a ' quote is not closed");
      cur += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i]!;
        if (c === "\\" && i + 1 < text.length && /["\\$`]/.test(text[i + 1]!)) {
          cur += text[i + 1];
          i += 2;
        } else if (c === '"') {
          closed = true;
          i++;
          break;
        } else {
          cur += c;
          i++;
        }
      }
      if (!closed) throw new Error('a " quote is not closed');
      inWord = true;
    } else if (ch === "\\" && i + 1 < text.length) {
      // A backslash-newline joins lines, as in a shell.
      if (text[i + 1] !== "\n") cur += text[i + 1];
      inWord = inWord || text[i + 1] !== "\n";
      i += 2;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
      i++;
    } else {
      cur += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** The command line again, quoted where an argument needs it, for showing (and copying into a shell). */
export function joinArgv(argv: readonly string[]): string {
  return argv.map((a) => (a !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/** Run time so far (running) or in all (finished); null before it started. */
export function taskRunMs(t: Pick<TaskView, "startedAt" | "finishedAt">, now: number): number | null {
  if (!t.startedAt) return null;
  const end = t.finishedAt ? Date.parse(t.finishedAt) : now;
  return Math.max(0, end - Date.parse(t.startedAt));
}

/** The run time, counting while the task runs. */
export function Elapsed({ task }: { task: Pick<TaskView, "startedAt" | "finishedAt"> }) {
  if (!task.startedAt) return <span className="muted">—</span>;
  if (task.finishedAt) return <span>{duration(taskRunMs(task, 0) ?? 0)}</span>;
  return <Counting startedAt={task.startedAt} />;
}

function Counting({ startedAt }: { startedAt: string }) {
  const now = useNow();
  return <span>{duration(Math.max(0, now - Date.parse(startedAt)))}</span>;
}

/** The state, and "waiting" when a worker of the task waits for a human. */
export function TaskBadges({ task }: { task: Pick<TaskView, "state" | "waiting"> }) {
  return (
    <span className="task-badges">
      <StateBadge state={task.state} />
      {task.waiting && !isTerminalTaskState(task.state) && <StateBadge state="waiting" title="A worker of this task waits for an answer" />}
    </span>
  );
}

export function tokensText(tokens: { input: number; output: number }): string {
  return `${tokens.input.toLocaleString()} in · ${tokens.output.toLocaleString()} out`;
}

/** A failure reason in words. */
export function reasonText(reason: string): string {
  const text: Record<string, string> = {
    exit_code: "Exited with a non-zero code",
    signal: "Killed by a signal",
    timeout: "Timed out",
    cancelled: "Cancelled",
    lost: "The node was lost",
    rejected: "No node would take it",
    spawn_failed: "The agent could not be started",
    interrupted: "The node daemon restarted under it",
    revoked: "The coordinator took it back",
    budget: "Its cost limit was crossed",
    stuck: "No output for too long",
    verify_failed: "The verify command failed",
    not_approved: "Not approved",
    workspace_failed: "The repository could not be checked out",
  };
  return text[reason] ?? reason.replace(/_/g, " ");
}

/** The message, unless it only repeats the exit code ("exited with code 3"). */
export function extraMessage(x: { message: string | null; exitCode: number | null }): string | null {
  if (!x.message) return null;
  if (x.exitCode !== null && /^exited with (exit )?code -?\d+\.?$/i.test(x.message.trim())) return null;
  return x.message;
}
