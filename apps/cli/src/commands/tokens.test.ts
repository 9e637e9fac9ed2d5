import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeCoordinator, json, startFakeCoordinator } from "../_testing/fake-coordinator.js";
import { fakeIo } from "../_testing/fake-io.js";
import { iso, tokenCreated } from "../_testing/fixtures.js";
import { runCli } from "../cli.js";

let fake: FakeCoordinator;
const env = () => ({ MUSTER_URL: fake.url, MUSTER_TOKEN: "mat_t" });
const { token: _token, ...view } = tokenCreated();
const TOKEN = "mat_01JBTOK1_abcdefghijklmnopqrstuvwx";

beforeAll(async () => {
  fake = await startFakeCoordinator({
    "POST /v1/tokens": (req, res) => json(res, 201, tokenCreated(req.body as object)),
    "GET /v1/tokens": {
      body: {
        tokens: [
          { ...view, lastUsedAt: iso(0) },
          { ...view, id: "01JBOLD0", name: "ci", role: "operator", revokedAt: iso(0) },
        ],
      },
    },
    "DELETE /v1/tokens/01JBTOK1": { body: { ...view, revokedAt: view.createdAt } },
  });
});
afterAll(() => fake.close());

describe("muster tokens create", () => {
  it("sends the name and role, and prints the token once with the login command", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["tokens", "create", "--name", "alice", "--role", "viewer"], io)).toBe(0);
    expect(fake.requests.at(-1)?.body).toEqual({ name: "alice", role: "viewer" });
    const lines = io.out().split("\n");
    expect(lines[0]).toBe(TOKEN);
    expect(io.out()).toContain("API token 01JBTOK1 for alice, role viewer. It is shown only this once.");
    expect(io.out()).toContain(`  muster login ${fake.url} --token ${TOKEN}\n`);
    expect(io.out().split(TOKEN)).toHaveLength(3);
  });

  it("--json prints TokenCreated", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["tokens", "create", "--name", "ci", "--role", "operator", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual(tokenCreated({ name: "ci", role: "operator" }));
  });

  it("refuses a missing name, a blank name or an unknown role as usage, without calling the coordinator", async () => {
    const before = fake.requests.length;
    for (const [argv, message] of [
      [["--role", "viewer"], /required option '--name <name>' not specified/],
      [["--name", "alice"], /required option '--role <role>' not specified/],
      [["--name", "  ", "--role", "viewer"], /^muster: --name: Too small/],
      [["--name", "alice", "--role", "root"], /Allowed choices are admin, operator, viewer/],
    ] as const) {
      const io = fakeIo({ env: env() });
      expect(await runCli(["tokens", "create", ...argv], io), argv.join(" ")).toBe(2);
      expect(io.err()).toMatch(message);
    }
    expect(fake.requests.length).toBe(before);
  });
});

describe("muster tokens ls / revoke", () => {
  it("lists tokens in a table, by default", async () => {
    for (const argv of [["tokens"], ["tokens", "ls"]]) {
      const io = fakeIo({ env: env() });
      expect(await runCli(argv, io)).toBe(0);
      expect(io.out()).toBe(
        [
          "ID        NAME   ROLE      STATE    CREATED  LAST USED",
          "01JBTOK1  alice  viewer    active   0s ago   0s ago",
          "01JBOLD0  ci     operator  revoked  0s ago   never",
          "",
        ].join("\n"),
      );
    }
  });

  it("--json prints the TokenList", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["tokens", "ls", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out()).tokens.map((t: { id: string }) => t.id)).toEqual(["01JBTOK1", "01JBOLD0"]);
  });

  it("revokes by id or by the whole token", async () => {
    for (const target of ["01JBTOK1", TOKEN]) {
      const io = fakeIo({ env: env() });
      expect(await runCli(["tokens", "revoke", target], io)).toBe(0);
      expect(io.out()).toBe("revoked API token 01JBTOK1 (alice)\n");
      expect(fake.requests.at(-1)?.url).toBe("/v1/tokens/01JBTOK1");
    }
    const io = fakeIo({ env: env() });
    expect(await runCli(["tokens", "revoke", "01JBTOK1", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ id: "01JBTOK1", revokedAt: view.createdAt });
  });
});
