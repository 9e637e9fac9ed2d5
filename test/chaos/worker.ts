// The chaos workers: `sh` scripts that print numbered lines and stamp a shared file when they start, while they
// live, and when they end, so a checker can see when each attempt of a task really ran.

export interface WorkerPlan {
  /** Numbered stdout lines the worker prints, one every ~50 ms. */
  lines: number;
  /**
   * After its lines, the worker does not exit until this file exists: a scenario releases it once its fault has
   * landed, so the claims it aimed at are still running however slow the machine is.
   */
  holdFile?: string;
}

/**
 * argv for an exec task. Stamps are `<kind> <taskId> <claimId> <ns>` with kind start|alive|end; the TERM trap
 * stamps `end` too, so a stopped worker leaves its last moment behind.
 */
const shQuote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

export function workerArgv(stampsFile: string, plan: WorkerPlan): string[] {
  const script = [
    `f=${shQuote(stampsFile)}`,
    `t="$MUSTER_TASK_ID"; c="$MUSTER_CLAIM_ID"`,
    `stamp() { echo "$1 $t $c $(date +%s%N)" >> "$f"; }`,
    `trap 'stamp end; exit 143' TERM`,
    // Outlive a dead daemon's closed stdout like an agent that ignores SIGPIPE would: only the node may stop us.
    `trap '' PIPE`,
    `stamp start`,
    `i=1`,
    `while [ $i -le ${plan.lines} ]; do echo "line $t $i"; stamp alive; sleep 0.05; i=$((i+1)); done`,
    ...(plan.holdFile ? [`while [ ! -e ${shQuote(plan.holdFile)} ]; do sleep 0.05; done`] : []),
    `stamp end`,
  ].join("\n");
  return ["sh", "-c", script, "chaos-worker"];
}

export type StampKind = "start" | "alive" | "end";

export interface Stamp {
  kind: StampKind;
  taskId: string;
  claimId: string;
  /** Wall-clock nanoseconds, as a bigint so nothing is lost. */
  ns: bigint;
}

/** Parses the stamps file; a torn last line (a worker killed mid-write) is skipped. */
export function parseStamps(text: string): Stamp[] {
  const out: Stamp[] = [];
  for (const line of text.split("\n")) {
    const m = /^(start|alive|end) (\S+) (\S+) (\d+)$/.exec(line.trim());
    if (m) out.push({ kind: m[1] as StampKind, taskId: m[2]!, claimId: m[3]!, ns: BigInt(m[4]!) });
  }
  return out;
}

/** The lines a worker that ran to the end printed. */
export function expectedLines(taskId: string, plan: WorkerPlan): string[] {
  return Array.from({ length: plan.lines }, (_, i) => `line ${taskId} ${i + 1}`);
}
