import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorBody, type FakeCoordinator, startFakeCoordinator } from "./_testing/fake-coordinator.js";
import { fakeIo } from "./_testing/fake-io.js";
import { status } from "./_testing/fixtures.js";
import { buildProgram, commandName, runCli } from "./cli.js";

let fake: FakeCoordinator;
const signedIn = () => ({ MUSTER_URL: fake.url, MUSTER_TOKEN: "mat_abc_secretsecretsecretsecret" });

beforeAll(async () => {
  fake = await startFakeCoordinator({ "GET /v1/status": { body: status() } });
});
afterAll(() => fake.close());

/** Every error is one stderr line starting with "muster: ". */
function expectOneLine(err: string): void {
  expect(err).toMatch(/^muster: [^\n]+\n$/);
  expect(err).not.toMatch(/\n\s+at /);
}

describe("usage errors exit 2 with one line", () => {
  it.each([
    [["status", "--bogus"], "muster: unknown option '--bogus' (see muster status --help)\n"],
    [["nodes", "show"], "muster: missing required argument 'node' (see muster nodes show --help)\n"],
    [["tasks", "--limit"], "muster: option '--limit <n>' argument missing (see muster tasks --help)\n"],
    [["task", "a", "b"], "muster: too many arguments for 'task'. Expected 1 argument but got 2. (see muster task --help)\n"],
    [["join-keys", "create", "--bogus"], "muster: unknown option '--bogus' (see muster join-keys create --help)\n"],
    [["--bogus"], "muster: unknown option '--bogus' (see muster --help)\n"],
    [["logs"], "muster: missing required argument 'id' (see muster logs --help)\n"],
    [["answer", "ask_1"], "muster: missing required argument 'text' (see muster answer --help)\n"],
    [["nodes", "drain", "gpu-1", "--deadline", "5x"], 'muster: --deadline: invalid duration "5x" (use e.g. 500ms, 30s, 10m, 1h, 2d)\n'],
    [["submit", "--timeout", "soon", "--", "true"], 'muster: --timeout: invalid duration "soon" (use e.g. 500ms, 30s, 10m, 1h, 2d)\n'],
    [["asks", "wait", "--timeout", "-1m"], 'muster: --timeout: invalid duration "-1m" (use e.g. 500ms, 30s, 10m, 1h, 2d)\n'],
    [["status", "--watch", "--interval", "10ms"], 'muster: --interval: must be at least 100ms, got "10ms"\n'],
    [
      ["nodes", "drian", "gpu-1"],
      "muster: unknown command 'drian' for muster nodes (one of ls, show, revoke, cordon, uncordon, drain; see muster nodes --help)\n",
    ],
    [["join-keys", "rm", "01JB"], "muster: unknown command 'rm' for muster join-keys (one of create, ls, revoke; see muster join-keys --help)\n"],
    [["asks", "bogus"], "muster: unknown command 'bogus' for muster asks (one of ls, wait; see muster asks --help)\n"],
  ])("muster %j", async (argv, line) => {
    const io = fakeIo({ env: signedIn() });
    const before = fake.requests.length;
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err()).toBe(line);
    expect(io.out()).toBe("");
    expect(fake.requests.length).toBe(before);
  });

  it("keeps real extra arguments to a default subcommand named outright", async () => {
    const io = fakeIo({ env: signedIn() });
    expect(await runCli(["nodes", "ls", "extra"], io)).toBe(2);
    expect(io.err()).toBe("muster: too many arguments for 'ls'. Expected 0 arguments but got 1. (see muster nodes ls --help)\n");
  });

  it("suggests the command meant, still on one line", async () => {
    const io = fakeIo();
    expect(await runCli(["stauts"], io)).toBe(2);
    expectOneLine(io.err());
    expect(io.err()).toContain("unknown command 'stauts'");
    expect(io.err()).toContain("status");
  });

  it("reports a bad option value in one line", async () => {
    const io = fakeIo({ env: signedIn() });
    expect(await runCli(["tasks", "--state", "done"], io)).toBe(2);
    expectOneLine(io.err());
    expect(io.err()).toContain("Allowed choices are queued, assigned, running");
  });

  it("validates values the command parses itself, before calling the coordinator", async () => {
    const io = fakeIo({ env: signedIn() });
    const before = fake.requests.length;
    expect(await runCli(["tasks", "--limit", "0"], io)).toBe(2);
    expect(io.err()).toBe("muster: --limit: must be between 1 and 500, got 0\n");
    expect(fake.requests.length).toBe(before);
  });

  it("shows the full help on stderr when no command is given", async () => {
    const io = fakeIo();
    expect(await runCli([], io)).toBe(2);
    expect(io.err()).toContain("Usage: muster [options] [command]");
  });
});

/** Every command and subcommand of the program, as the words that name it. */
function walk(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  return cmd.commands.flatMap((c) => [{ path: [...path, c.name()], cmd: c }, ...walk(c, [...path, c.name()])]);
}

/** The `$ ...` lines under "Examples:" in a help text. */
function exampleLines(help: string): string[] {
  const at = help.indexOf("\nExamples:\n");
  if (at < 0) return [];
  const lines = help.slice(at + "\nExamples:\n".length).split("\n");
  const end = lines.findIndex((l) => !l.startsWith("  $ "));
  return lines.slice(0, end < 0 ? undefined : end);
}

describe("help and version", () => {
  it("prints help with an example for every command and subcommand and exits 0", async () => {
    const program = await buildProgram({ io: fakeIo(), exitCode: 0 });
    const all = [{ path: [] as string[], cmd: program }, ...walk(program)];
    // The walk sees the whole tree, so a command added without examples fails here.
    expect(all.map((c) => c.path.join(" "))).toEqual(
      expect.arrayContaining(["nodes ls", "nodes show", "nodes drain", "nodes cordon", "nodes uncordon", "nodes revoke"]),
    );
    expect(all.map((c) => c.path.join(" "))).toEqual(
      expect.arrayContaining(["join-keys ls", "join-keys create", "join-keys revoke", "tokens ls", "tokens create", "tokens revoke", "asks ls", "asks wait", "retry", "doctor", "completion"]),
    );
    expect(all.length).toBeGreaterThanOrEqual(30);
    for (const { path, cmd } of all) {
      const name = ["muster", ...path].join(" ");
      const io = fakeIo();
      expect(await runCli([...path, "--help"], io), name).toBe(0);
      const help = io.out();
      expect(help.split("\n")[0], name).toMatch(new RegExp(`^Usage: ${name}[ |]`));
      const examples = exampleLines(help);
      expect(examples.length, `${name} --help has no examples`).toBeGreaterThan(0);
      // At least one example runs this very command (a default subcommand may also be shown by its parent's name).
      expect(
        examples.some((l) => l.includes(`${name} `) || l.endsWith(name)),
        `no example of ${name}`,
      ).toBe(true);
      if (cmd.options.some((o) => o.long === "--json")) expect(help, name).toMatch(/\n {2}--json /);
    }
  });

  it("`muster help <command>` prints that command's help and exits 0", async () => {
    const io = fakeIo();
    expect(await runCli(["help", "logs"], io)).toBe(0);
    expect(io.out()).toContain("Usage: muster logs [options] <id>");
    expect(io.err()).toBe("");
    const io2 = fakeIo();
    expect(await runCli(["nodes", "help", "drain"], io2)).toBe(0);
    expect(io2.out()).toContain("Usage: muster nodes drain [options] <node>");
    const io3 = fakeIo();
    expect(await runCli(["help"], io3)).toBe(0);
    expect(io3.out()).toContain("Usage: muster [options] [command]");
    for (const [argv, line] of [
      [["help", "bogus"], "muster: unknown command 'bogus' (see muster --help)\n"],
      [["nodes", "help", "drian"], "muster: unknown command 'drian' (see muster nodes --help)\n"],
    ] as const) {
      const io4 = fakeIo();
      expect(await runCli(argv, io4)).toBe(2);
      expect(io4.err()).toBe(line);
      expect(io4.out()).toBe("");
    }
  });

  it("lists every command in the top-level help", async () => {
    const program = await buildProgram({ io: fakeIo(), exitCode: 0 });
    const io = fakeIo();
    expect(await runCli(["--help"], io)).toBe(0);
    const listed = program.commands.filter((c) => (c as unknown as { _hidden?: boolean })._hidden !== true);
    for (const name of [...listed.map((c) => c.name()), "help"]) expect(io.out()).toMatch(new RegExp(`\\n  ${name} `));
  });

  it("prints the version", async () => {
    const io = fakeIo();
    expect(await runCli(["--version"], io)).toBe(0);
    expect(io.out()).toBe("0.1.0\n");
  });
});

describe("colour", () => {
  const paintedReady = "\u001b[32mready\u001b[39m";

  it("colours states on a terminal, also with an empty NO_COLOR", async () => {
    for (const env of [signedIn(), { ...signedIn(), NO_COLOR: "" }]) {
      const io = fakeIo({ env, tty: true });
      expect(await runCli(["status"], io)).toBe(0);
      expect(io.out()).toContain(paintedReady);
    }
  });

  it.each([
    ["not a terminal", [], {}, false],
    ["NO_COLOR=1", [], { NO_COLOR: "1" }, true],
    ["TERM=dumb", [], { TERM: "dumb" }, true],
    ["--no-color after the command", ["--no-color"], {}, true],
  ])("never colours with %s", async (_what, extra, env, tty) => {
    const io = fakeIo({ env: { ...signedIn(), ...env }, tty });
    expect(await runCli(["status", ...extra], io)).toBe(0);
    expect(io.out()).toContain("ready");
    expect(io.out()).not.toContain("\u001b[");
  });

  it("takes --no-color before the command too", async () => {
    const io = fakeIo({ env: signedIn(), tty: true });
    expect(await runCli(["--no-color", "status"], io)).toBe(0);
    expect(io.out()).not.toContain("\u001b[");
    expect(commandName(["--no-color", "status"])).toBe("status");
  });
});

describe("errors from the coordinator", () => {
  it("exits 4 with how to sign in when there is no token", async () => {
    const io = fakeIo({ env: { MUSTER_URL: fake.url } });
    expect(await runCli(["status"], io)).toBe(4);
    expect(io.err()).toBe(
      "muster: not signed in: run muster login <url> --token <token> (or set MUSTER_URL and MUSTER_TOKEN)\n",
    );
  });

  it("exits 2 for a coordinator URL that is not one", async () => {
    const io = fakeIo({ env: { MUSTER_URL: "localhost:7070", MUSTER_TOKEN: "mat_t" } });
    expect(await runCli(["status"], io)).toBe(2);
    expect(io.err()).toBe('muster: invalid coordinator URL "localhost:7070" (expected http:// or https://)\n');
  });

  it("exits 4 when the token is refused, and never prints it", async () => {
    fake.on("GET /v1/nodes", { status: 401, body: errorBody("unauthorized", "invalid or revoked token") });
    const io = fakeIo({ env: signedIn() });
    expect(await runCli(["nodes"], io)).toBe(4);
    expect(io.err()).toBe("muster: invalid or revoked token [unauthorized]\n");
    expect(io.err() + io.out()).not.toContain("secret");
  });

  it("exits 1 with the server's message and code for API errors", async () => {
    fake.on("GET /v1/tasks/tsk_nope", { status: 404, body: errorBody("not_found", "no task tsk_nope") });
    const io = fakeIo({ env: signedIn() });
    expect(await runCli(["task", "tsk_nope"], io)).toBe(1);
    expect(io.err()).toBe("muster: no task tsk_nope [not_found]\n");
  });

  it("with --json also prints the error as CliErrorOutput on stdout", async () => {
    const io = fakeIo({ env: signedIn() });
    expect(await runCli(["task", "tsk_nope", "--json"], io)).toBe(1);
    expect(JSON.parse(io.out())).toEqual({ error: { code: "not_found", message: "no task tsk_nope" } });
    const io2 = fakeIo({ env: { MUSTER_URL: "http://127.0.0.1:9" } });
    expect(await runCli(["status", "--json"], io2)).toBe(4);
    expect(JSON.parse(io2.out())).toMatchObject({ error: { code: "auth" } });
  });
});

describe("commandName", () => {
  it("finds the command after global options with values", () => {
    expect(commandName(["--config", "x.json", "status", "--json"])).toBe("status");
    expect(commandName(["--config=x.json", "nodes"])).toBe("nodes");
    expect(commandName(["--help"])).toBeUndefined();
    expect(commandName(["--", "status"])).toBeUndefined();
  });

  it("still runs when --config comes before the command", async () => {
    const io = fakeIo({ env: signedIn() });
    expect(await runCli(["--config", "/nonexistent/cli.json", "status", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual(status());
  });
});
