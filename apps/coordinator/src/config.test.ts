import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("has the documented defaults", () => {
    const c = loadConfig({}, { HOME: "/home/u" });
    expect(c).toMatchObject({ host: "127.0.0.1", port: 7391, heartbeatIntervalMs: 5000, leaseMs: 15_000, leaseGraceMs: 5000 });
    expect(c.dataDir).toMatch(/\.muster\/coordinator$/);
    expect(c.databaseUrl).toBeUndefined();
  });
  it("takes flags over environment", () => {
    const c = loadConfig({ port: "8000", lease: "3s" }, { MUSTER_PORT: "9000", MUSTER_LEASE: "9s", MUSTER_HEARTBEAT_INTERVAL: "200ms" });
    expect(c.port).toBe(8000);
    expect(c.leaseMs).toBe(3000);
    expect(c.heartbeatIntervalMs).toBe(200);
  });
  it("reads the database URL and admin token from the environment", () => {
    const c = loadConfig({}, { MUSTER_DATABASE_URL: "postgres://u@h/db", MUSTER_ADMIN_TOKEN: "mat_abcdefgh_0123456789abcdefghij" });
    expect(c.databaseUrl).toBe("postgres://u@h/db");
    expect(c.adminToken).toMatch(/^mat_/);
  });
  it("serves the installed console's build unless told another directory", () => {
    expect(loadConfig({}, {}).consoleDir).toMatch(/console[\\/]dist$/);
    expect(loadConfig({}, { MUSTER_CONSOLE_DIR: "/srv/console" }).consoleDir).toBe(resolve("/srv/console"));
    expect(loadConfig({ consoleDir: "web" }, { MUSTER_CONSOLE_DIR: "/srv/console" }).consoleDir).toBe(resolve("web"));
  });
  it.each([
    [{ port: "seventy" }, /port/],
    [{ lease: "soon" }, /lease: invalid duration/],
    [{ databaseUrl: "mysql://x" }, /postgres/],
    [{ heartbeatInterval: "20s", lease: "10s" }, /shorter than the lease/],
  ])("fails at boot on a bad setting %j", (flags, message) => {
    expect(() => loadConfig(flags, {})).toThrow(ConfigError);
    expect(() => loadConfig(flags, {})).toThrow(message);
  });
});
