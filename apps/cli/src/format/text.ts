// Small renderings of domain values shared by several commands.
import type { Labels, TaskView } from "@muster/protocol";
import { truncate } from "./table.js";

/** `k=v,k2=v2`, or "-" when empty. */
export function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(",") : "-";
}

/** An argv as a shell would need it typed. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/** What a task runs, in one short line: its command for exec, its prompt otherwise. */
export function taskWhat(task: Pick<TaskView, "argv" | "prompt">, max = 60): string {
  const text = task.argv.length ? shellJoin(task.argv) : (task.prompt ?? "").replace(/\s+/g, " ").trim();
  return truncate(text, max) || "-";
}
