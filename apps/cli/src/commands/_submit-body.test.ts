import { describe, expect, it } from "vitest";
import { CLIError } from "../errors.js";
import { buildCreateTask, parseEnv } from "./_submit-body.js";

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CLIError);
    expect((err as CLIError).exitCode).toBe(2);
    return (err as CLIError).message;
  }
  throw new Error("expected a usage error");
}

describe("buildCreateTask", () => {
  it("asks for no network with --network none, and names the flag for anything else", () => {
    expect(buildCreateTask({ network: "none" }, ["make"], undefined, {})).toEqual({ agent: "exec", argv: ["make"], network: "none" });
    expect(usage(() => buildCreateTask({ network: "off" }, ["make"], undefined, {}))).toMatch(/--network/);
  });

  it("sends the argv after -- untouched, dashes and all, as an exec task", () => {
    const body = buildCreateTask({}, ["python", "train.py", "--epochs", "3", "-v", "a b"], undefined, {});
    expect(body).toEqual({ agent: "exec", argv: ["python", "train.py", "--epochs", "3", "-v", "a b"] });
  });

  it("maps every flag to its field: labels, selector, timeout, priority, attempts, name, env", () => {
    const body = buildCreateTask(
      {
        label: ["gpu=true", "zone=a"],
        selector: "arch in (x64,arm64),!spot",
        timeout: "10m",
        priority: "5",
        maxAttempts: "2",
        name: "nightly",
        env: ["FOO=bar=baz", "EMPTY="],
      },
      ["make"],
      undefined,
      {},
    );
    expect(body).toEqual({
      agent: "exec",
      argv: ["make"],
      labels: { gpu: "true", zone: "a" },
      selector: "arch in (x64,arm64),!spot",
      timeoutMs: 600_000,
      priority: 5,
      maxAttempts: 2,
      name: "nightly",
      env: { FOO: "bar=baz", EMPTY: "" },
    });
  });

  it("builds a prompt task for other agents", () => {
    const body = buildCreateTask({ agent: "claude", model: "sonnet", thinking: "high" }, [], "fix it", {});
    expect(body).toEqual({ agent: "claude", prompt: "fix it", model: "sonnet", thinking: "high" });
  });

  it("parses compound durations", () => {
    expect(buildCreateTask({ timeout: "1h30m" }, ["x"], undefined, {}).timeoutMs).toBe(5_400_000);
  });

  it("refuses an exec task without a command", () => {
    expect(usage(() => buildCreateTask({}, [], undefined, {}))).toBe("agent exec needs a non-empty argv");
  });

  it("refuses a prompt agent without a prompt, or with a command instead", () => {
    expect(usage(() => buildCreateTask({ agent: "claude" }, [], undefined, {}))).toBe("agent claude needs a prompt");
    expect(usage(() => buildCreateTask({ agent: "claude" }, ["do", "it"], undefined, {}))).toBe(
      "--agent claude takes --prompt, not a command after --",
    );
  });

  it("names the flag in one line when a value is bad", () => {
    expect(usage(() => buildCreateTask({ label: ["novalue"] }, ["x"], undefined, {}))).toMatch(/^--label: invalid label "novalue"/);
    expect(usage(() => buildCreateTask({ timeout: "10x" }, ["x"], undefined, {}))).toMatch(/^--timeout: invalid duration "10x"/);
    expect(usage(() => buildCreateTask({ selector: "a in (" }, ["x"], undefined, {}))).toMatch(/^--selector: /);
    expect(usage(() => buildCreateTask({ priority: "high" }, ["x"], undefined, {}))).toBe('--priority: expected a whole number, got "high"');
    expect(usage(() => buildCreateTask({ maxAttempts: "50" }, ["x"], undefined, {}))).toMatch(/^--max-attempts: /);
    expect(usage(() => buildCreateTask({ agent: "Bad Agent" }, [], "p", {}))).toMatch(/^--agent: /);
    expect(usage(() => buildCreateTask({ agent: "claude" }, [], "", {}))).toMatch(/^--prompt: /);
    for (const msg of [usage(() => buildCreateTask({ timeout: "30d" }, ["x"], undefined, {}))]) expect(msg).not.toContain("\n");
  });
});

describe("parseEnv", () => {
  it("copies a bare NAME from the CLI's environment", () => {
    expect(parseEnv(["HOME"], { HOME: "/h" })).toEqual({ HOME: "/h" });
  });

  it("refuses unset and malformed names", () => {
    expect(usage(() => parseEnv(["NOPE"], {}))).toBe("--env: NOPE is not set here (use --env NOPE=VALUE)");
    expect(usage(() => parseEnv(["1X=y"], {}))).toBe('--env: invalid variable name "1X"');
  });

  it("passes the disconnect policy and refuses keep for a task not marked idempotent", () => {
    expect(buildCreateTask({ idempotent: true, onDisconnect: "keep" }, ["x"], undefined, {})).toMatchObject({
      idempotent: true,
      onDisconnect: "keep",
    });
    expect(usage(() => buildCreateTask({ onDisconnect: "keep" }, ["x"], undefined, {}))).toMatch(/idempotent/);
    expect(usage(() => buildCreateTask({ onDisconnect: "later" }, ["x"], undefined, {}))).toMatch(/^--on-disconnect: /);
  });

  it("passes placement, group, budget and retry flags", () => {
    const body = buildCreateTask(
      { policy: "spread", spreadLabel: "zone", group: "repo:acme/web", groupLimit: "2", maxCost: "$2.50", retryOn: "lost,exit_code" },
      ["x"],
      undefined,
      {},
    );
    expect(body).toMatchObject({
      policy: "spread",
      spreadLabel: "zone",
      group: "repo:acme/web",
      groupLimit: 2,
      maxCostUsd: 2.5,
      retryOn: ["lost", "exit_code"],
    });
    expect(usage(() => buildCreateTask({ policy: "fastest" }, ["x"], undefined, {}))).toMatch(/^--policy: /);
    expect(usage(() => buildCreateTask({ maxCost: "lots" }, ["x"], undefined, {}))).toMatch(/^--max-cost: /);
    expect(usage(() => buildCreateTask({ groupLimit: "2" }, ["x"], undefined, {}))).toMatch(/groupLimit needs a group/);
    expect(usage(() => buildCreateTask({ retryOn: "bad_luck" }, ["x"], undefined, {}))).toMatch(/^--retry-on/);
  });

  it("passes workspace, verify, limit and gate flags", () => {
    const body = buildCreateTask(
      { agent: "claude", repo: "/srv/acme.git", ref: "main", verify: "npm test", idleTimeout: "10m", outputCap: "1m", approveBefore: "done" },
      [],
      "fix it",
      {},
    );
    expect(body).toMatchObject({
      repo: "/srv/acme.git",
      ref: "main",
      verify: "npm test",
      idleTimeoutMs: 600_000,
      outputCapBytes: 1024 * 1024,
      approveBefore: "done",
    });
    expect(usage(() => buildCreateTask({ ref: "main" }, ["x"], undefined, {}))).toMatch(/ref needs a repo/);
    expect(usage(() => buildCreateTask({ outputCap: "lots" }, ["x"], undefined, {}))).toMatch(/^--output-cap: /);
    expect(usage(() => buildCreateTask({ approveBefore: "verify" }, ["x"], undefined, {}))).toMatch(/needs a verify command/);
  });

  it("passes --approve-tools as all or a list, with its timeout, and refuses it for an agent other than claude", () => {
    expect(buildCreateTask({ agent: "claude", approveTools: "all" }, [], "fix it", {}).approveTools).toBe("all");
    const body = buildCreateTask({ agent: "claude", approveTools: "Bash, Write", approveToolsTimeout: "5m" }, [], "fix it", {});
    expect(body).toMatchObject({ approveTools: ["Bash", "Write"], approveToolsTimeoutMs: 300_000 });
    expect(usage(() => buildCreateTask({ agent: "codex", approveTools: "all" }, [], "x", {}))).toBe("approveTools works only with agent claude, not codex");
    expect(usage(() => buildCreateTask({ agent: "claude", approveTools: "rm -rf" }, [], "x", {}))).toMatch(/^--approve-tools 0: /);
  });

  it("asks for an agent no node has offered yet only with --allow-unknown-agent", () => {
    expect(buildCreateTask({ agent: "nosuch" }, [], "x", {})).not.toHaveProperty("allowUnknownAgent");
    expect(buildCreateTask({ agent: "nosuch", allowUnknownAgent: true }, [], "x", {}).allowUnknownAgent).toBe(true);
  });
});
