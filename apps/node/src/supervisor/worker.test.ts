import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { type ClaimRecord, formatDuration } from "@muster/protocol";
import { createOutputParser } from "../agents/parsers/index.js";
import { expectedWithParsed, withoutStamp } from "../agents/parsers/transcript.fake.js";
import { claimOutcome } from "./outcome.js";
import { OutputCap } from "./output-cap.js";
import { splitText, startWorker, type WorkerOptions } from "./worker.js";

const NODE = process.execPath;
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

function run(command: string[], opts: Partial<WorkerOptions> = {}) {
  const records: ClaimRecord[] = [];
  const worker = startWorker({ command, cwd: tmpdir(), env, timeoutMs: 10_000, onRecord: (r) => records.push(r), ...opts });
  return { worker, records, logs: (stream: string) => records.flatMap((r) => (r.kind === "log" && r.stream === stream ? [r.text] : [])).join("") };
}

/** Alive and not a zombie waiting to be reaped. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function firstLog(records: ClaimRecord[]): Promise<string> {
  await expect.poll(() => records.some((r) => r.kind === "log"), { timeout: 5000, interval: 10 }).toBe(true);
  const log = records.find((r) => r.kind === "log");
  return log?.kind === "log" ? log.text : "";
}

describe("worker process", () => {
  it("sends a started record first, then stdout and stderr as log records with seq 1, 2, 3...", async () => {
    const { worker, records, logs } = run([NODE, "-e", "process.stdout.write('out'); process.stderr.write('err')"]);
    const end = await worker.ended;
    expect(end).toEqual({ kind: "exited", exitCode: 0, signal: null, stoppedBy: null });
    expect(claimOutcome(end, 1000)).toEqual({ status: "succeeded", exitCode: 0, signal: null, reason: null, message: null, workspace: null, verify: null });
    expect(records[0]).toMatchObject({ seq: 1, kind: "started", pid: worker.pid, command: [NODE, "-e", expect.any(String)], workdir: tmpdir() });
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    expect(logs("stdout")).toBe("out");
    expect(logs("stderr")).toBe("err");
  });

  it("reports a non-zero exit as failed with reason exit_code", async () => {
    const end = await run([NODE, "-e", "process.exit(3)"]).worker.ended;
    expect(claimOutcome(end, 1000)).toEqual({
      status: "failed",
      exitCode: 3,
      signal: null,
      reason: "exit_code",
      message: "exited with code 3",
      workspace: null,
      verify: null,
    });
  });

  it("puts the agent's own account of its failure in the outcome, after the exit code", async () => {
    const line = JSON.stringify({ type: "result", subtype: "success", is_error: true, result: "Invalid API key · Please run /login" });
    const script = `console.log(${JSON.stringify(line)}); process.exit(1)`;
    const end = await run([NODE, "-e", script], { parser: createOutputParser("claude") }).worker.ended;
    expect(claimOutcome(end, 1000)).toMatchObject({
      status: "failed",
      exitCode: 1,
      reason: "exit_code",
      message: "exited with code 1: Invalid API key · Please run /login",
    });
  });

  it("reports a death by signal the node did not send as failed with reason signal", async () => {
    const end = await run([NODE, "-e", "process.kill(process.pid, 'SIGKILL')"]).worker.ended;
    expect(claimOutcome(end, 1000)).toMatchObject({ status: "failed", exitCode: null, signal: "SIGKILL", reason: "signal" });
  });

  it("reports a command that cannot be started as spawn_failed, with no records", async () => {
    const { worker, records } = run(["no-such-agent-binary", "x"]);
    const end = await worker.ended;
    expect(worker.pid).toBeUndefined();
    expect(records).toEqual([]);
    const outcome = claimOutcome(end, 1000);
    expect(outcome).toMatchObject({ status: "failed", reason: "spawn_failed", exitCode: null });
    expect(outcome.message).toMatch(/ENOENT/);
  });

  it("gives the worker no stdin, so a reader sees end of input at once", async () => {
    const end = await run(["cat"]).worker.ended;
    expect(end).toMatchObject({ exitCode: 0 });
  });

  it("kills the whole process group, grandchildren too, when the time limit is reached", async () => {
    const { worker, records } = run(["sh", "-c", "sleep 30 & echo $!; wait"], { timeoutMs: 300 });
    const grandchild = Number(await firstLog(records));
    expect(isAlive(grandchild)).toBe(true);
    const end = await worker.ended;
    expect(claimOutcome(end, 300)).toMatchObject({ status: "failed", reason: "timeout", signal: "SIGTERM", message: "timed out after 300 ms" });
    await expect.poll(() => isAlive(grandchild), { timeout: 2000, interval: 20 }).toBe(false);
  });

  it("sends SIGKILL after the grace when a worker ignores SIGTERM", async () => {
    const { worker, records } = run([NODE, "-e", "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"], {
      killGraceMs: 200,
    });
    await firstLog(records);
    const started = Date.now();
    worker.stop("revoked");
    const end = await worker.ended;
    expect(end).toMatchObject({ signal: "SIGKILL", stoppedBy: "revoked" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it("kills what a worker left running in its group once it exits", async () => {
    const { worker, records } = run(["sh", "-c", "sleep 30 & echo $!"]);
    const end = await worker.ended;
    expect(end).toMatchObject({ exitCode: 0 });
    const grandchild = Number(await firstLog(records));
    await expect.poll(() => isAlive(grandchild), { timeout: 2000, interval: 20 }).toBe(false);
  });

  it("splits large output into bounded log records", async () => {
    const { worker, records, logs } = run([NODE, "-e", "process.stdout.write('y'.repeat(100000))"], { maxLogText: 1000 });
    await worker.ended;
    const texts = records.flatMap((r) => (r.kind === "log" ? [r.text] : []));
    expect(Math.max(...texts.map((t) => t.length))).toBeLessThanOrEqual(1000);
    expect(logs("stdout")).toBe("y".repeat(100000));
  });
});

/** A node script that writes each piece to stdout, pausing between them so each arrives as its own chunk. */
function writer(pieces: string[], after = ""): string[] {
  const script = `const p = ${JSON.stringify(pieces)};
    (async () => {
      for (const x of p) { await new Promise((r) => process.stdout.write(x, r)); await new Promise((r) => setTimeout(r, 40)); }
      ${after}
    })();`;
  return [NODE, "-e", script];
}

const step = (usd: number) => `${JSON.stringify({ type: "step_finish", part: { type: "step-finish", cost: usd, tokens: { input: 1, output: 1 } } })}\n`;

describe("worker output parsing", () => {
  it("reassembles lines cut across chunks and puts each line's records right after the log record that ends it", async () => {
    const message = (text: string) => JSON.stringify({ type: "item.completed", item: { id: "i", type: "agent_message", text } });
    const first = message("first");
    const { worker, records } = run(writer([first.slice(0, 20), `${first.slice(20)}\nnot json\n`, message("tail")]), {
      parser: createOutputParser("codex"),
    });
    await worker.ended;
    expect(records.map(withoutStamp)).toEqual(expectedWithParsed(records, "codex"));
    // A last line without a newline is parsed once the output has ended.
    expect(records.flatMap((r) => (r.kind === "message" ? [r.text] : []))).toEqual(["first", "tail"]);
    expect(records.at(-1)).toMatchObject({ kind: "message", text: "tail" });
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
  });

  it("parses nothing for a worker without a parser", async () => {
    const { worker, records } = run(writer([`${JSON.stringify({ type: "turn.completed" })}\n`]));
    await worker.ended;
    expect(records.map((r) => r.kind)).toEqual(["started", "log"]);
  });

  it("stops the worker with cause budget once the running cost crosses the limit", async () => {
    const { worker, records } = run(writer([step(0.4), step(0.4), step(0.4), step(0.4)], "setInterval(() => {}, 1000);"), {
      parser: createOutputParser("opencode"),
      maxCostUsd: 1,
      killGraceMs: 500,
    });
    const end = await worker.ended;
    expect(end).toMatchObject({ kind: "exited", stoppedBy: "budget", signal: "SIGTERM", budget: { usd: 1.2, limitUsd: 1 } });
    expect(claimOutcome(end, 1000)).toEqual({
      status: "failed",
      exitCode: null,
      signal: "SIGTERM",
      reason: "budget",
      message: "cost $1.2 crossed the limit $1",
      workspace: null,
      verify: null,
    });
    expect(records.flatMap((r) => (r.kind === "cost" ? [r.usd] : []))).toEqual([0.4, 0.8, 1.2]);
  });

  it("fails a run on budget even when the crossing is read after the process exited", async () => {
    const { worker } = run([NODE, "-e", `process.stdout.write(${JSON.stringify(step(2).trimEnd())})`], {
      parser: createOutputParser("opencode"),
      maxCostUsd: 1,
    });
    const end = await worker.ended;
    expect(claimOutcome(end, 1000)).toMatchObject({ status: "failed", exitCode: 0, reason: "budget", message: "cost $2 crossed the limit $1" });
  });

  it("lets a run whose cost stays at the limit finish", async () => {
    const { worker } = run(writer([step(0.5), step(0.5)]), { parser: createOutputParser("opencode"), maxCostUsd: 1 });
    expect(claimOutcome(await worker.ended, 1000)).toMatchObject({ status: "succeeded" });
  });
});

describe("splitText", () => {
  it("cuts at the limit but never inside a surrogate pair", () => {
    expect(splitText("abcdef", 4)).toEqual(["abcd", "ef"]);
    expect(splitText("abc😀d", 4)).toEqual(["abc", "😀d"]);
    expect(splitText("short", 10)).toEqual(["short"]);
  });
});

describe("worker limits", () => {
  it("stops a worker that prints nothing for the idle timeout, as stuck", async () => {
    const { worker, records } = run(["sh", "-c", "echo one; exec sleep 30"], { idleTimeoutMs: 1000, killGraceMs: 200 });
    const end = await worker.ended;
    expect(end).toMatchObject({ kind: "exited", stoppedBy: "stuck", signal: "SIGTERM", idleMs: 1000 });
    expect(claimOutcome(end, 10_000)).toMatchObject({ status: "failed", reason: "stuck", message: `no output for ${formatDuration(1000)}` });
    expect(records.map((r) => r.kind)).toEqual(["started", "log"]);
  });

  it("lets a worker that keeps talking run past the idle timeout", async () => {
    // A shell starts at once even on a loaded machine; it talks every 0.1 s for twice the idle timeout.
    const script = "i=0; while [ $i -lt 20 ]; do echo $i; sleep 0.1; i=$((i+1)); done";
    const end = await run(["sh", "-c", script], { idleTimeoutMs: 1000 }).worker.ended;
    expect(end).toMatchObject({ exitCode: 0, stoppedBy: null });
  });

  it("keeps only the capped bytes of output, says so once on stderr, and lets the worker finish", async () => {
    const script = `process.stdout.write('a'.repeat(3000), () => setTimeout(() => {
      process.stderr.write('b'.repeat(3000)); setTimeout(() => console.log('late'), 50);
    }, 50))`;
    const { worker, records, logs } = run([NODE, "-e", script], { outputCap: new OutputCap(1000) });
    expect(await worker.ended).toMatchObject({ exitCode: 0, stoppedBy: null });
    const notices = records.filter((r) => r.kind === "log" && r.text.startsWith("[muster]"));
    expect(notices).toEqual([expect.objectContaining({ stream: "stderr", text: "[muster] output truncated after 1000 bytes\n" })]);
    expect(logs("stdout")).toBe("a".repeat(1000));
    expect(logs("stderr")).toBe("[muster] output truncated after 1000 bytes\n");
  });

  it("still parses output past the cap, so the cost limit holds", async () => {
    const { worker, records } = run(writer([step(0.4), step(0.4), step(0.4)], "setInterval(() => {}, 1000);"), {
      parser: createOutputParser("opencode"),
      maxCostUsd: 1,
      outputCap: new OutputCap(10),
      killGraceMs: 500,
    });
    expect(await worker.ended).toMatchObject({ stoppedBy: "budget" });
    expect(records.flatMap((r) => (r.kind === "cost" ? [r.usd] : []))).toEqual([0.4, 0.8, 1.2]);
  });

  it("continues the claim's seqs from nextSeq and can leave the started record out", async () => {
    let last = 41;
    const { worker, records } = run([NODE, "-e", "console.log('x')"], {
      announce: false,
      nextSeq: () => last + 1,
      onRecord: (r) => {
        last = r.seq;
        records.push(r);
      },
    });
    await worker.ended;
    expect(records.map((r) => [r.kind, r.seq])).toEqual([["log", 42]]);
  });
});
