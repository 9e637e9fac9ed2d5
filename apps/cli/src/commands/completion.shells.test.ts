// The generated completion scripts in the real shells: each parses, and each completes a node name by
// running the built `muster __complete` against a coordinator. A shell that is not installed is skipped, except
// in CI (where .ci/run installs them all), so a missing shell never passes unnoticed there.
import { execFile, execFileSync } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeCoordinator, startFakeCoordinator } from "../_testing/fake-coordinator.js";
import { fakeIo } from "../_testing/fake-io.js";
import { nodeView, taskView } from "../_testing/fixtures.js";
import { runCli } from "../cli.js";

const APP = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(APP, "bin", "muster.js");

function installed(shell: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${shell}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const missing = (shell: string) => !installed(shell) && !process.env.CI;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { PATH: `${dir}:${process.env.PATH ?? ""}`, HOME: dir, ...env }, cwd: dir, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

let dir: string;
let fake: FakeCoordinator;
const scripts: Record<string, string> = {};
const signedIn = () => ({ MUSTER_URL: fake.url, MUSTER_TOKEN: "mat_t" });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "muster-completion-"));
  for (const shell of ["bash", "zsh", "fish"]) {
    const io = fakeIo();
    expect(await runCli(["completion", shell], io)).toBe(0);
    scripts[shell] = join(dir, `muster.${shell}`);
    await writeFile(scripts[shell], io.out());
  }
  // The scripts call `muster`: here, the built CLI, so this proves the shipped files.
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  expect(execFileSync(process.execPath, [tsc, "-p", join(APP, "tsconfig.build.json")], { encoding: "utf8" })).toBe("");
  await writeFile(join(dir, "muster"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  await chmod(join(dir, "muster"), 0o755);
  fake = await startFakeCoordinator({
    "GET /v1/nodes": { body: { nodes: [nodeView(), nodeView({ id: "nod_2", name: "cpu-1", agents: [] })] } },
    "GET /v1/tasks": { body: { tasks: [taskView({ id: "tsk_7" })], nextCursor: null } },
  });
}, 120_000);
afterAll(async () => {
  await fake?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the completion scripts in their shells", () => {
  it.skipIf(missing("bash"))("bash parses its script", async () => {
    expect(await run("bash", ["-n", scripts.bash!])).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it.skipIf(missing("zsh"))("zsh parses its script", async () => {
    expect(await run("zsh", ["-n", scripts.zsh!])).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it.skipIf(missing("fish"))("fish parses its script", async () => {
    expect(await run("fish", ["--no-execute", scripts.fish!])).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  /** COMPREPLY after Tab on the command line `words` (the last word is the one being completed). */
  const bashComplete = (words: string[], env: Record<string, string>) =>
    run("bash", [
      "-c",
      'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _muster; printf "%s\\n" "${COMPREPLY[@]}"',
      "bash",
      scripts.bash!,
      ...words,
    ], env);

  it.skipIf(missing("bash"))("bash completes node names from the coordinator", async () => {
    const drain = await bashComplete(["muster", "nodes", "drain", "gp"], signedIn());
    expect(drain).toEqual({ code: 0, stdout: "gpu-1\n", stderr: "" });
    const filter = await bashComplete(["muster", "tasks", "--node", ""], signedIn());
    expect(filter.stdout.split("\n").sort()).toEqual(["", "cpu-1", "gpu-1", "nod_1", "nod_2"]);
    expect((await bashComplete(["muster", "logs", "-f", ""], signedIn())).stdout).toBe("tsk_7\n");
    expect((await bashComplete(["muster", "nod"], signedIn())).stdout).toBe("nodes\n");
  }, 60_000);

  it.skipIf(missing("bash"))("bash passes --config on to muster, and completes nothing, silently, when signed out", async () => {
    const config = join(dir, "cli.json");
    await writeFile(config, JSON.stringify({ url: fake.url, token: "mat_t" }));
    const viaConfig = await bashComplete(["muster", "--config", config, "nodes", "cordon", "c"], {});
    expect(viaConfig).toEqual({ code: 0, stdout: "cpu-1\n", stderr: "" });
    expect(await bashComplete(["muster", "nodes", "cordon", "c"], {})).toEqual({ code: 0, stdout: "\n", stderr: "" });
  }, 60_000);

  // Outside a completion widget, zsh's completion builtins are stood in for by functions printing what they get.
  const ZSH_DRIVER = [
    "compdef() { :; }",
    'compadd() { [[ $1 == -a ]] && print -rl -- "${(@P)2}"; }',
    '_describe() { print -rl -- "${(@P)4}"; }',
    '_files() { print -r -- "<files>"; }',
    'source "$1"; shift',
    'words=("$@"); CURRENT=$#; PREFIX="${words[CURRENT]}"',
    "_muster",
  ].join("\n");

  it.skipIf(missing("zsh"))("zsh completes node names from the coordinator", async () => {
    const complete = (...words: string[]) => run("zsh", ["-c", ZSH_DRIVER, "zsh", scripts.zsh!, ...words], signedIn());
    expect(await complete("muster", "nodes", "drain", "gp")).toEqual({ code: 0, stdout: "gpu-1\n", stderr: "" });
    expect((await complete("muster", "submit", "--agent", "")).stdout).toBe("exec\nclaude\n");
    expect((await complete("muster", "nodes", "")).stdout).toMatch(/^ls:list every node/);
    expect((await complete("muster", "--config", "")).stdout).toBe("<files>\n");
  }, 60_000);

  it.skipIf(missing("fish"))("fish completes node names from the coordinator", async () => {
    const complete = (line: string) => run("fish", ["-c", 'source $argv[1]; complete -C $argv[2]', scripts.fish!, line], signedIn());
    const drain = await complete("muster nodes drain gp");
    expect(drain).toEqual({ code: 0, stdout: "gpu-1\n", stderr: "" });
    expect((await complete("muster tasks --node c")).stdout).toBe("cpu-1\n");
    expect((await complete("muster nod")).stdout).toMatch(/^nodes\t/);
    const config = join(dir, "fish-cli.json");
    await writeFile(config, JSON.stringify({ url: fake.url, token: "mat_t" }));
    const viaConfig = await run("fish", ["-c", "source $argv[1]; complete -C $argv[2]", scripts.fish!, `muster --config ${config} nodes cordon c`]);
    expect(viaConfig).toEqual({ code: 0, stdout: "cpu-1\n", stderr: "" });
  }, 60_000);
});
