import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorBody, type FakeCoordinator, startFakeCoordinator } from "./_testing/fake-coordinator.js";
import { fakeIo } from "./_testing/fake-io.js";
import { status } from "./_testing/fixtures.js";
import { commandName, runCli } from "./cli.js";

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
  ])("muster %j", async (argv, line) => {
    const io = fakeIo({ env: signedIn() });
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err()).toBe(line);
    expect(io.out()).toBe("");
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

describe("help and version", () => {
  it("prints help with an example for every command and exits 0", async () => {
    for (const argv of [["status"], ["nodes", "revoke"], ["tasks"], ["task"], ["logs"], ["submit"], ["join-keys", "create"], ["login"], ["logout"], ["cancel"], ["asks", "ls"], ["asks", "wait"], ["answer"], ["tell"], ["ask"], ["told"]]) {
      const io = fakeIo();
      expect(await runCli([...argv, "--help"], io)).toBe(0);
      expect(io.out()).toContain(`Usage: muster ${argv.join(" ")}`);
      expect(io.out()).toMatch(/Examples:\n {2}\$ muster /);
      expect(io.out()).toContain("--json");
    }
  });

  it("lists every command in the top-level help", async () => {
    const io = fakeIo();
    expect(await runCli(["--help"], io)).toBe(0);
    for (const name of ["login", "logout", "status", "nodes", "tasks", "task", "logs", "submit", "cancel", "join-keys", "asks", "answer", "tell", "ask", "told"])
      expect(io.out()).toMatch(new RegExp(`\\n  ${name} `));
  });

  it("prints the version", async () => {
    const io = fakeIo();
    expect(await runCli(["--version"], io)).toBe(0);
    expect(io.out()).toBe("0.1.0\n");
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
