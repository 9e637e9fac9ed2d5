import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ClaimRecord, MUSTER_VERSION } from "@muster/protocol";
import { workerEnv } from "../supervisor/env.js";
import { startWorker } from "../supervisor/worker.js";
import { findMusterCli, prepareMusterBin } from "./cli-bin.js";

const ids = { taskId: "tsk_1", claimId: "clm_1", attempt: 1, workdir: tmpdir() };

async function runInWorker(binDir: string | null, script: string): Promise<{ exitCode: number | null; stdout: string }> {
  const records: ClaimRecord[] = [];
  const worker = startWorker({
    command: ["sh", "-c", script],
    cwd: tmpdir(),
    // A PATH without node: the wrapper must not depend on the worker having one.
    env: workerEnv({ daemonEnv: { PATH: "/usr/bin:/bin" }, passEnv: [], taskEnv: {}, ...ids, musterBinDir: binDir }),
    timeoutMs: 20_000,
    onRecord: (r) => records.push(r),
  });
  const end = await worker.ended;
  const stdout = records.flatMap((r) => (r.kind === "log" && r.stream === "stdout" ? [r.text] : [])).join("");
  return { exitCode: end.kind === "exited" ? end.exitCode : null, stdout };
}

describe("the muster CLI on a worker's PATH", () => {
  it("is found in the workspace's node_modules/.bin", () => {
    const cli = findMusterCli();
    expect(cli).not.toBeNull();
    expect(cli!.endsWith(join("cli", "bin", "muster.js"))).toBe(true);
  });

  it("lets a worker run muster --version", async () => {
    const binDir = prepareMusterBin({ binDir: join(mkdtempSync(join(tmpdir(), "muster-bin-")), "bin") });
    expect(binDir).not.toBeNull();
    expect(statSync(join(binDir!, "muster")).mode & 0o111).not.toBe(0);
    expect(await runInWorker(binDir, "muster --version")).toEqual({ exitCode: 0, stdout: `${MUSTER_VERSION}\n` });
  }, 30_000);

  it("takes a configured CLI, or a directory holding one, and quotes its path", async () => {
    const root = mkdtempSync(join(tmpdir(), "muster bin '"));
    mkdirSync(join(root, "tools"));
    const fake = join(root, "tools", "muster");
    writeFileSync(fake, "#!/bin/sh\necho fake muster \"$@\"\n", { mode: 0o755 });
    for (const configured of [fake, join(root, "tools")]) {
      const binDir = prepareMusterBin({ configured, binDir: join(root, "bin") })!;
      expect(readFileSync(join(binDir, "muster"), "utf8")).not.toContain("node");
      expect(await runInWorker(binDir, "muster ask hi")).toEqual({ exitCode: 0, stdout: "fake muster ask hi\n" });
    }
  });

  it("is missing when nothing is configured or found, and a bad configured path throws", () => {
    const empty = mkdtempSync(join(tmpdir(), "muster-nobin-"));
    expect(prepareMusterBin({ binDir: join(empty, "bin"), searchFrom: empty })).toBeNull();
    expect(() => prepareMusterBin({ configured: join(empty, "nope"), binDir: join(empty, "bin") })).toThrow(/ENOENT/);
  });
});
