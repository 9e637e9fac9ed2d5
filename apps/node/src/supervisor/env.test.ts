import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import type { ClaimRecord } from "@muster/protocol";
import { generateNodeKeyPair } from "../identity/keys.js";
import { workerEnv } from "./env.js";
import { startWorker } from "./worker.js";

const ids = { taskId: "tsk_1", claimId: "clm_1", attempt: 2, workdir: "/data/work/clm_1" };

describe("worker environment", () => {
  it("keeps only the allowlist and passEnv from the daemon, then the task's env, then Muster's vars", () => {
    const env = workerEnv({
      daemonEnv: { PATH: "/bin", HOME: "/home/n", LC_ALL: "C", AWS_SECRET_ACCESS_KEY: "s3cret", GITHUB_TOKEN: "gh", EDITOR: "vi" },
      passEnv: ["GITHUB_TOKEN"],
      taskEnv: { FOO: "bar", HOME: "/tmp/task-home", MUSTER_TASK_ID: "spoofed" },
      ...ids,
    });
    expect(env).toEqual({
      PATH: "/bin",
      HOME: "/tmp/task-home",
      LC_ALL: "C",
      GITHUB_TOKEN: "gh",
      FOO: "bar",
      MUSTER_TASK_ID: "tsk_1",
      MUSTER_CLAIM_ID: "clm_1",
      MUSTER_ATTEMPT: "2",
      MUSTER_WORKDIR: "/data/work/clm_1",
      MUSTER_RESULT_FILE: "/data/work/clm_1/.muster/result.json",
    });
  });

  it("names the prompt file only for a task that carries a prompt, and the result file for every claim", () => {
    const bare = workerEnv({ daemonEnv: {}, passEnv: [], taskEnv: { MUSTER_RESULT_FILE: "/etc/passwd" }, ...ids });
    expect(bare).not.toHaveProperty("MUSTER_PROMPT_FILE");
    expect(bare.MUSTER_RESULT_FILE).toBe("/data/work/clm_1/.muster/result.json");
    const prompted = workerEnv({ daemonEnv: {}, passEnv: [], taskEnv: {}, prompt: true, ...ids });
    expect(prompted.MUSTER_PROMPT_FILE).toBe("/data/work/clm_1/.muster/prompt.md");
  });

  it("never passes the daemon's own settings, even when passEnv names them", () => {
    const env = workerEnv({ daemonEnv: { MUSTER_NODE_CONFIG: "/etc/muster/node.json" }, passEnv: ["MUSTER_NODE_CONFIG"], taskEnv: {}, ...ids });
    expect(env).not.toHaveProperty("MUSTER_NODE_CONFIG");
  });

  it("gives a real worker process no secret of the node", async () => {
    const { privateKey } = await generateNodeKeyPair();
    const daemonEnv = {
      ...process.env,
      MUSTER_NODE_CONFIG: "/home/n/.config/muster/node.json",
      MUSTER_NODE_DATA_DIR: "/home/n/.muster/node",
      MUSTER_NODE_KEY: privateKey.d,
      MUSTER_ADMIN_TOKEN: "mat_abcdefgh_secretsecretsecretsecret",
      AWS_SECRET_ACCESS_KEY: "aws-secret",
    };
    const records: ClaimRecord[] = [];
    const worker = startWorker({
      command: [process.execPath, "-e", "process.stdout.write(JSON.stringify(process.env))"],
      cwd: tmpdir(),
      env: workerEnv({ daemonEnv, passEnv: ["MUSTER_NODE_DATA_DIR"], taskEnv: { TASK_VAR: "1" }, ...ids }),
      timeoutMs: 10_000,
      onRecord: (r) => records.push(r),
    });
    expect(await worker.ended).toMatchObject({ exitCode: 0 });
    const text = records.flatMap((r) => (r.kind === "log" && r.stream === "stdout" ? [r.text] : [])).join("");
    const seen = JSON.parse(text) as Record<string, string>;
    expect(seen).toMatchObject({ TASK_VAR: "1", MUSTER_TASK_ID: "tsk_1", MUSTER_CLAIM_ID: "clm_1", MUSTER_ATTEMPT: "2" });
    for (const name of ["MUSTER_NODE_CONFIG", "MUSTER_NODE_DATA_DIR", "MUSTER_NODE_KEY", "MUSTER_ADMIN_TOKEN", "AWS_SECRET_ACCESS_KEY"])
      expect(seen).not.toHaveProperty(name);
    expect(text).not.toContain(privateKey.d);
    expect(text).not.toContain("node.json");
    expect(text).not.toContain("aws-secret");
    expect(text).not.toContain("mat_abcdefgh");
  });
});

describe("worker environment for asks", () => {
  it("names the claim's endpoint over whatever the task set, and puts the muster CLI first on PATH", () => {
    const env = workerEnv({
      daemonEnv: { PATH: "/usr/bin:/bin" },
      passEnv: [],
      taskEnv: { MUSTER_ASK_SOCKET: "/tmp/spoofed.sock", MUSTER_ASK_SECRET: "guess" },
      ...ids,
      askEnv: { MUSTER_ASK_SOCKET: "/data/s/ab12.sock", MUSTER_ASK_SECRET: "s3cret" },
      musterBinDir: "/data/bin",
    });
    expect(env).toMatchObject({ PATH: "/data/bin:/usr/bin:/bin", MUSTER_ASK_SOCKET: "/data/s/ab12.sock", MUSTER_ASK_SECRET: "s3cret" });
  });
});
