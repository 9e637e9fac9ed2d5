// Preset agents end to end inside the node: the fake agent sits on PATH under the preset's name, so
// detection, the preset's real command line, the worker and the output parser all take part.
import { chmod, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { ClaimOffer, type ClaimRecord, type TaskSpec } from "@muster/protocol";
import { AgentCatalog } from "../agents/catalog.js";
import {
  expectedWithParsed,
  FAKE_AGENT,
  ofKind,
  parseTranscript,
  transcriptPath,
  withoutStamp,
} from "../agents/parsers/transcript.fake.js";
import type { PresetName } from "../agents/presets.js";
import { AgentsConfig } from "../config.js";
import { silentLogger } from "../log.js";
import { Supervisor, type HeldClaim } from "./supervisor.js";

let dir: string;
let bin: string;

/** An executable named like the preset that runs the fake agent with whatever arguments it gets. */
async function fakeOnPath(name: string): Promise<string> {
  const file = join(bin, name);
  await writeFile(file, `#!/bin/sh\nexec "${process.execPath}" "${FAKE_AGENT}" "$@"\n`);
  await chmod(file, 0o755);
  return file;
}

async function setup(agents: unknown = {}) {
  const catalog = await AgentCatalog.detect(AgentsConfig.parse(agents), { pathEnv: bin, versions: false });
  const supervisor = new Supervisor({
    capacity: 2,
    dataDir: join(dir, "data"),
    agents: catalog,
    passEnv: [],
    daemonEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    log: silentLogger(),
    killGraceMs: 500,
  });
  const records: ClaimRecord[] = [];
  const exited: HeldClaim[] = [];
  supervisor.subscribe({ recordProduced: (_c, r) => records.push(r), claimExited: (c) => exited.push(c), idle() {} });
  return { supervisor, records, exited };
}

function offer(agent: string, transcript: string, task: Partial<TaskSpec> = {}, env: Record<string, string> = {}): ClaimOffer {
  return ClaimOffer.parse({
    claimId: "clm_1",
    taskId: "tsk_1",
    token: 1,
    attempt: 1,
    leaseMs: 1000,
    task: {
      agent,
      prompt: "Fix the version test.",
      timeoutMs: 20_000,
      env: { FAKE_AGENT_TRANSCRIPT: transcriptPath(transcript), FAKE_AGENT_DELAY_MS: "5", ...env },
      ...task,
    },
  });
}

async function runToEnd(o: ClaimOffer, agents: unknown = {}) {
  const { supervisor, records, exited } = await setup(agents);
  expect(supervisor.offer(o, { draining: false })).toEqual({ accept: true, duplicate: false });
  await expect.poll(() => exited.length, { timeout: 15_000, interval: 20 }).toBe(1);
  return { records, claim: exited[0]!, stdout: records.flatMap((r) => (r.kind === "log" && r.stream === "stdout" ? [r.text] : [])).join("") };
}

const parsedOnly = (records: ClaimRecord[]) => records.filter((r) => r.kind !== "log" && r.kind !== "started").map(withoutStamp);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "muster-presets-"));
  bin = join(dir, "bin");
  await mkdir(bin);
});

describe("supervisor with preset agents", () => {
  it("runs the fake claude through the real preset command line and streams raw logs plus parsed records", async () => {
    const claude = await fakeOnPath("claude");
    const argsFile = join(dir, "args.json");
    const { records, claim, stdout } = await runToEnd(offer("claude", "claude-stream-json.jsonl", {}, { FAKE_AGENT_ARGS_FILE: argsFile }));

    expect(JSON.parse(await readFile(argsFile, "utf8"))).toEqual([
      "-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "acceptEdits", "Fix the version test.",
    ]);
    expect(records[0]).toMatchObject({ kind: "started", command: [claude, "-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "acceptEdits", "Fix the version test."] });
    // The raw output is kept whole, and the parsed records are exactly the transcript's.
    expect(stdout).toBe(await readFile(transcriptPath("claude-stream-json.jsonl"), "utf8"));
    expect(parsedOnly(records)).toEqual(parseTranscript("claude", "claude-stream-json.jsonl"));
    // Each line's records come right after the log record that completes the line.
    expect(records.map(withoutStamp)).toEqual(expectedWithParsed(records, "claude"));
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    expect(records.at(-1)).toMatchObject({ kind: "summary", ok: true, turns: 5 });
    expect(ofKind(parseTranscript("claude", "claude-stream-json.jsonl"), "cost")[0]!.usd).toBe(0.0617606);
    expect(claim.done).toMatchObject({ lastSeq: records.length, outcome: { status: "succeeded", exitCode: 0, reason: null } });
  });

  it("reports claude's failed run by its exit code, with the failed summary among the records", async () => {
    await fakeOnPath("claude");
    const { records, claim } = await runToEnd(offer("claude", "claude-stream-json-error.jsonl", {}, { FAKE_AGENT_EXIT: "1" }));
    expect(records.at(-1)).toMatchObject({ kind: "summary", ok: false, text: "Reached maximum number of turns (2)" });
    expect(claim.done!.outcome).toMatchObject({ status: "failed", reason: "exit_code", exitCode: 1 });
  });

  it.each<[PresetName, string]>([
    ["codex", "codex-exec-json.jsonl"],
    ["opencode", "opencode-json.jsonl"],
    ["pi", "pi-json.jsonl"],
  ])("parses %s output the same way", async (preset, transcript) => {
    await fakeOnPath(preset);
    const { records, claim } = await runToEnd(offer(preset, transcript, {}, { FAKE_AGENT_DELAY_MS: "0" }));
    expect(parsedOnly(records)).toEqual(parseTranscript(preset, transcript));
    expect(claim.done!.outcome.status).toBe("succeeded");
  });

  it("stops the worker once the reported cost crosses maxCostUsd and fails the claim with reason budget", async () => {
    await fakeOnPath("opencode");
    // Steps cost 0.043836, then 0.0069933: the second one takes the total past 0.05.
    const { records, claim } = await runToEnd(offer("opencode", "opencode-json.jsonl", { maxCostUsd: 0.05 }, { FAKE_AGENT_DELAY_MS: "100" }));
    expect(claim.done!.outcome).toEqual({
      status: "failed",
      exitCode: null,
      signal: "SIGTERM",
      reason: "budget",
      message: "cost $0.050829 crossed the limit $0.05",
      workspace: null,
      verify: null,
    });
    expect(records.flatMap((r) => (r.kind === "cost" ? [r.usd] : []))).toEqual([0.043836, 0.0508293]);
    expect(records.some((r) => r.kind === "summary")).toBe(false);
  });

  it("fails on budget when claude's only cost, on its closing line, is over the limit", async () => {
    await fakeOnPath("claude");
    const { claim } = await runToEnd(offer("claude", "claude-stream-json.jsonl", { maxCostUsd: 0.01 }, { FAKE_AGENT_DELAY_MS: "0" }));
    expect(claim.done!.outcome).toMatchObject({ status: "failed", reason: "budget", message: "cost $0.061761 crossed the limit $0.01" });
  });

  it("parses nothing for exec or for a custom agent that takes a preset's name", async () => {
    await fakeOnPath("fake");
    const exec = await runToEnd(offer("exec", "claude-stream-json.jsonl", { argv: [join(bin, "fake")] }, { FAKE_AGENT_DELAY_MS: "0" }));
    expect(parsedOnly(exec.records)).toEqual([]);
    const custom = await runToEnd(offer("claude", "claude-stream-json.jsonl", {}, { FAKE_AGENT_DELAY_MS: "0" }), {
      custom: { claude: { command: [join(bin, "fake"), "{{prompt_file}}"] } },
    });
    expect(custom.stdout).toContain('"type":"result"');
    expect(parsedOnly(custom.records)).toEqual([]);
  });
});
