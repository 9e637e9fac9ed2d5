import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { errorBody, type FakeCoordinator, json, startFakeCoordinator } from "../_testing/fake-coordinator.js";
import { fakeIo } from "../_testing/fake-io.js";
import { status, whoami } from "../_testing/fixtures.js";
import { runCli } from "../cli.js";

const TOKEN = "mat_abcdefgh_secretsecretsecretsecret";
let fake: FakeCoordinator;
let home: string;
let cwd: string;
const roots: string[] = [];
const userFile = () => join(home, ".config", "muster", "cli.json");

beforeAll(async () => {
  fake = await startFakeCoordinator({
    "GET /v1/whoami": (req, res) =>
      req.headers.authorization === `Bearer ${TOKEN}`
        ? json(res, 200, whoami())
        : json(res, 401, errorBody("unauthorized", "invalid token")),
    "GET /v1/status": { body: status() },
  });
});
beforeEach(async () => {
  const root = await mkdtemp(join(tmpdir(), "muster-auth-"));
  roots.push(root);
  home = join(root, "home");
  cwd = join(root, "work");
  await mkdir(cwd, { recursive: true });
});
afterAll(async () => {
  await fake.close();
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

describe("muster login", () => {
  it("checks the token with whoami, then stores url and token with mode 0600", async () => {
    const io = fakeIo({ home, cwd });
    expect(await runCli(["login", `${fake.url}/`, "--token", TOKEN], io)).toBe(0);
    expect(io.out()).toBe(`signed in to ${fake.url} as admin (admin)\nsaved to ${userFile()}\n`);
    expect(io.out() + io.err()).not.toContain(TOKEN);
    expect(JSON.parse(await readFile(userFile(), "utf8"))).toEqual({ url: fake.url, token: TOKEN });
    expect((await stat(userFile())).mode & 0o777).toBe(0o600);

    // Later commands use what was stored.
    const io2 = fakeIo({ home, cwd });
    expect(await runCli(["status", "--json"], io2)).toBe(0);
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("reads the token from stdin with --token -", async () => {
    const io = fakeIo({ home, cwd, stdin: `${TOKEN}\n` });
    expect(await runCli(["login", fake.url, "--token", "-", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual({ url: fake.url, configPath: userFile(), identity: whoami() });
  });

  it("writes to --config when given", async () => {
    const io = fakeIo({ home, cwd });
    expect(await runCli(["--config", "here.json", "login", fake.url, "--token", TOKEN], io)).toBe(0);
    expect(JSON.parse(await readFile(join(cwd, "here.json"), "utf8")).token).toBe(TOKEN);
  });

  it("stores nothing and exits 4 when the token is refused", async () => {
    const io = fakeIo({ home, cwd });
    expect(await runCli(["login", fake.url, "--token", "mat_wrong"], io)).toBe(4);
    expect(io.err()).toBe("muster: invalid token [unauthorized]\n");
    await expect(stat(userFile())).rejects.toThrow();
  });

  it("refuses a missing token or a bad URL as usage", async () => {
    const io = fakeIo({ home, cwd });
    expect(await runCli(["login", fake.url], io)).toBe(2);
    expect(io.err()).toBe("muster: missing --token <token> (an API token, mat_...)\n");
    const io2 = fakeIo({ home, cwd });
    expect(await runCli(["login", "localhost:7070", "--token", TOKEN], io2)).toBe(2);
  });

  it("notes when a project .muster/cli.json outranks the stored login", async () => {
    await mkdir(join(cwd, ".muster"));
    await writeFile(join(cwd, ".muster", "cli.json"), JSON.stringify({ url: fake.url, token: "mat_dev" }));
    const io = fakeIo({ home, cwd });
    expect(await runCli(["login", fake.url, "--token", TOKEN], io)).toBe(0);
    expect(io.err()).toBe(`note: ${join(cwd, ".muster", "cli.json")} takes precedence in this directory\n`);
  });
});

describe("muster logout", () => {
  it("removes the token, keeps the URL, and leaves later commands signed out", async () => {
    expect(await runCli(["login", fake.url, "--token", TOKEN], fakeIo({ home, cwd }))).toBe(0);
    const io = fakeIo({ home, cwd });
    expect(await runCli(["logout"], io)).toBe(0);
    expect(io.out()).toBe(`signed out: token removed from ${userFile()}\n`);
    expect(JSON.parse(await readFile(userFile(), "utf8"))).toEqual({ url: fake.url });
    const io2 = fakeIo({ home, cwd });
    expect(await runCli(["status"], io2)).toBe(4);

    const io3 = fakeIo({ home, cwd });
    expect(await runCli(["logout", "--json"], io3)).toBe(0);
    expect(JSON.parse(io3.out())).toEqual({ configPath: userFile(), removed: false });
  });
});
