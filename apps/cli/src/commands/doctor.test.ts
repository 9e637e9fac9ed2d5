import type { ServerResponse } from "node:http";
import { CliDoctorOutput, MUSTER_VERSION } from "@muster/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorBody, type FakeCoordinator, type Handler, startFakeCoordinator } from "../_testing/fake-coordinator.js";
import { fakeIo } from "../_testing/fake-io.js";
import { NOW, status, whoami } from "../_testing/fixtures.js";
import { runCli } from "../cli.js";

let fake: FakeCoordinator;
const env = () => ({ MUSTER_URL: fake.url, MUSTER_TOKEN: "mat_t" });

/** GET /healthz whose Date header says the coordinator's clock reads `at`. */
const healthz =
  (at: number): Handler =>
  (_req, res: ServerResponse) => {
    res.writeHead(200, { "content-type": "application/json", date: new Date(at).toUTCString() });
    res.end(JSON.stringify({ status: "ok" }));
  };

beforeAll(async () => {
  fake = await startFakeCoordinator({
    "GET /healthz": healthz(NOW),
    "GET /v1/whoami": { body: whoami() },
    "GET /v1/status": { body: status() },
  });
});
afterAll(() => fake.close());

describe("muster doctor", () => {
  it("prints one ok line per check and exits 0 when all pass", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["doctor"], io)).toBe(0);
    expect(io.out()).toBe(
      [
        "ok    config       url and token from env",
        `ok    coordinator  ${fake.url} answered in 0ms`,
        "ok    token        admin (role admin)",
        `ok    version      CLI ${MUSTER_VERSION}, coordinator 0.1.0`,
        "ok    clock        local clock matches the coordinator's",
        "",
      ].join("\n"),
    );
    expect(io.err()).toBe("");
  });

  it("fails the clock check beyond 30 s of skew and a version mismatch, exiting 1", async () => {
    fake.on("GET /healthz", healthz(NOW - 45_000));
    fake.on("GET /v1/status", { body: status({ coordinator: { ...status().coordinator, version: "9.9.9" } }) });
    const io = fakeIo({ env: env() });
    expect(await runCli(["doctor"], io)).toBe(1);
    expect(io.out()).toContain("fail  clock        local clock 45s ahead of the coordinator's (more than 30s)\n");
    expect(io.out()).toContain(`fail  version      CLI ${MUSTER_VERSION}, coordinator 9.9.9: they differ; upgrade the older one\n`);
    expect(io.out()).toContain("ok    token");
    fake.on("GET /healthz", healthz(NOW));
    fake.on("GET /v1/status", { body: status() });
  });

  it("fails the token check when the token is refused, and skips the version", async () => {
    fake.on("GET /v1/whoami", { status: 401, body: errorBody("unauthorized", "invalid token") });
    const io = fakeIo({ env: env() });
    expect(await runCli(["doctor", "--json"], io)).toBe(1);
    const { checks } = CliDoctorOutput.parse(JSON.parse(io.out()));
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ["config", true],
      ["coordinator", true],
      ["token", false],
      ["version", false],
      ["clock", true],
    ]);
    expect(checks[2]!.detail).toBe("invalid token [unauthorized]");
    expect(checks[3]!.detail).toBe("skipped: token not accepted");
    fake.on("GET /v1/whoami", { body: whoami() });
  });

  it("reports an unreachable coordinator and skips what needs it", async () => {
    const dead = await startFakeCoordinator();
    await dead.close();
    const io = fakeIo({ env: { MUSTER_URL: dead.url, MUSTER_TOKEN: "mat_t" } });
    expect(await runCli(["doctor"], io)).toBe(1);
    const lines = io.out().split("\n");
    expect(lines[0]).toMatch(/^ok {4}config/);
    expect(lines[1]).toBe(`fail  coordinator  cannot reach ${dead.url}: ECONNREFUSED`);
    expect(lines.slice(2, 5)).toEqual([
      "fail  token        skipped: coordinator unreachable",
      "fail  version      skipped: coordinator unreachable",
      "fail  clock        skipped: coordinator unreachable",
    ]);
  });

  it("fails the config check when not signed in", async () => {
    const io = fakeIo();
    expect(await runCli(["doctor", "--json"], io)).toBe(1);
    const { checks } = CliDoctorOutput.parse(JSON.parse(io.out()));
    expect(checks[0]).toMatchObject({ name: "config", ok: false });
    expect(checks[0]!.detail).toContain("no coordinator URL");
    expect(checks.slice(1).every((c) => !c.ok && c.detail.startsWith("skipped:"))).toBe(true);
  });

  it("colours ok and fail only on a terminal without NO_COLOR", async () => {
    const tty = fakeIo({ env: env(), tty: true });
    await runCli(["doctor"], tty);
    expect(tty.out()).toContain("\u001b[32mok  \u001b[39m  config");
    const noColor = fakeIo({ env: { ...env(), NO_COLOR: "1" }, tty: true });
    await runCli(["doctor"], noColor);
    expect(noColor.out()).not.toContain("\u001b[");
  });
});
