import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeCoordinator, json, startFakeCoordinator } from "../_testing/fake-coordinator.js";
import { fakeIo } from "../_testing/fake-io.js";
import { joinKeyCreated } from "../_testing/fixtures.js";
import { runCli } from "../cli.js";

let fake: FakeCoordinator;
const env = () => ({ MUSTER_URL: fake.url, MUSTER_TOKEN: "mat_t" });
const { key: _key, ...view } = joinKeyCreated();

beforeAll(async () => {
  fake = await startFakeCoordinator({
    "POST /v1/join-keys": (req, res) => json(res, 201, joinKeyCreated(req.body as object)),
    "GET /v1/join-keys": { body: { joinKeys: [view, { ...view, id: "01JBOLD0", state: "exhausted", used: 1, description: "rack 4" }] } },
    "DELETE /v1/join-keys/01JBXYZ4": { body: { ...view, state: "revoked", revokedAt: view.createdAt } },
  });
});
afterAll(() => fake.close());

describe("muster join-keys create", () => {
  it("sends uses, ttl and labels, and prints the key once with the join command", async () => {
    const io = fakeIo({ env: env() });
    const argv = ["join-keys", "create", "--uses", "3", "--ttl", "1h", "--label", "zone=a", "--description", "rack 4"];
    expect(await runCli(argv, io)).toBe(0);
    expect(fake.requests.at(-1)?.body).toEqual({ uses: 3, ttlMs: 3_600_000, labels: { zone: "a" }, description: "rack 4" });
    const lines = io.out().split("\n");
    expect(lines[0]).toBe("mjk_01JBXYZ4_abcdefghijklmnopqrstuvwx");
    expect(io.out()).toContain("join key 01JBXYZ4: 3 uses, expires in 1h, labels zone=a\n");
    expect(io.out()).toContain(`  muster-node join ${fake.url} --name <name> --key mjk_01JBXYZ4_abcdefghijklmnopqrstuvwx\n`);
    expect(io.out().split("mjk_01JBXYZ4_abcdefghijklmnopqrstuvwx")).toHaveLength(3);
  });

  it("--json prints JoinKeyCreated", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["join-keys", "create", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual(joinKeyCreated({ uses: 1, ttlMs: 86_400_000, labels: {} } as object));
  });

  it("refuses a bad ttl or use count as usage", async () => {
    for (const [argv, line] of [
      [["--ttl", "forever"], '--ttl: invalid duration "forever" (use e.g. 500ms, 30s, 10m, 1h, 2d)'],
      [["--ttl", "10ms"], "--ttl: Too small: expected number to be >=1000"],
      [["--uses", "0"], "--uses: must be between 1 and 100000, got 0"],
    ] as const) {
      const io = fakeIo({ env: env() });
      expect(await runCli(["join-keys", "create", ...argv], io)).toBe(2);
      expect(io.err()).toBe(`muster: ${line}\n`);
    }
  });
});

describe("muster join-keys ls / revoke", () => {
  it("lists keys in a table, by default", async () => {
    for (const argv of [["join-keys"], ["join-keys", "ls"]]) {
      const io = fakeIo({ env: env() });
      expect(await runCli(argv, io)).toBe(0);
      expect(io.out()).toBe(
        [
          "ID        STATE      USED  LABELS  EXPIRES  CREATED  DESCRIPTION",
          "01JBXYZ4  active     0/1   zone=a  in 1h    0s ago   -",
          "01JBOLD0  exhausted  1/1   zone=a  in 1h    0s ago   rack 4",
          "",
        ].join("\n"),
      );
    }
  });

  it("revokes by id or by the whole key", async () => {
    for (const target of ["01JBXYZ4", "mjk_01JBXYZ4_abcdefghijklmnopqrstuvwx"]) {
      const io = fakeIo({ env: env() });
      expect(await runCli(["join-keys", "revoke", target], io)).toBe(0);
      expect(io.out()).toBe("revoked join key 01JBXYZ4\n");
      expect(fake.requests.at(-1)?.url).toBe("/v1/join-keys/01JBXYZ4");
    }
  });
});
