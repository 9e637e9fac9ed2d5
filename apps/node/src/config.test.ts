import { mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { ConfigError, defaultConfigPath, loadConfig, resolveDataDir, writeConfig, type NodeConfigInput } from "./config.js";
import { generateNodeKeyPair } from "./identity/keys.js";

let dir: string;
let base: NodeConfigInput;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "muster-config-"));
  const keys = await generateNodeKeyPair();
  base = {
    url: "http://127.0.0.1:7070/",
    nodeId: "nod_1",
    name: "builder-1",
    audience: "muster:coord",
    publicKey: keys.publicKey,
    privateKey: keys.privateKey,
    capacity: 2,
  };
});

async function expectConfigError(path: string, reason: ConfigError["reason"], text: RegExp) {
  const err = await loadConfig(path).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).reason).toBe(reason);
  expect((err as Error).message).toMatch(text);
}

describe("node config", () => {
  it("tells the operator to join when there is no config", async () => {
    const path = join(dir, "none.json");
    await expectConfigError(path, "missing", new RegExp(`^no node config at ${path}; run muster-node join first$`));
  });

  it("names the file and the problem when the config is not JSON", async () => {
    const path = join(dir, "node.json");
    await writeFile(path, "{ not json");
    await expectConfigError(path, "corrupt", /node config at .*node\.json is not valid JSON/);
  });

  it("names the bad field when the config does not validate", async () => {
    const path = join(dir, "node.json");
    await writeFile(path, JSON.stringify({ ...base, capacity: -1 }));
    await expectConfigError(path, "invalid", /is invalid: capacity:/);
  });

  it("rejects unknown settings instead of ignoring a typo", async () => {
    const path = join(dir, "node.json");
    await writeFile(path, JSON.stringify({ ...base, capacityy: 3 }));
    await expectConfigError(path, "invalid", /capacityy/);
  });

  it("writes the config readable by its owner only, through a temp file, and reads it back with defaults", async () => {
    const path = join(dir, "deep", "er", "node.json");
    await writeConfig(path, base);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, "deep", "er"))).toEqual(["node.json"]);
    const config = await loadConfig(path);
    expect(config.url).toBe("http://127.0.0.1:7070");
    expect(config.labels).toEqual({});
    expect(config.passEnv).toEqual([]);
    expect(config.agents).toEqual({ presets: {}, disabled: [], limits: {}, custom: {} });
    expect(JSON.parse(await readFile(path, "utf8")).privateKey.d).toBe(base.privateKey.d);
  });

  it("keeps failed workspaces a day and removes succeeded ones unless told otherwise", async () => {
    const path = join(dir, "node.json");
    await writeConfig(path, base);
    expect((await loadConfig(path)).workspaces).toEqual({ keepSucceeded: false, keepFailedFor: "24h" });
    await writeConfig(path, { ...base, workspaces: { keepSucceeded: true, keepFailedFor: "3d12h" } });
    expect((await loadConfig(path)).workspaces).toEqual({ keepSucceeded: true, keepFailedFor: "3d12h" });
  });

  it("refuses a workspace retention that is not a duration", async () => {
    const path = join(dir, "node.json");
    await writeFile(path, JSON.stringify({ ...base, workspaces: { keepFailedFor: "a day" } }));
    await expectConfigError(path, "invalid", /workspaces\.keepFailedFor: a duration such as 30m, 24h or 7d/);
  });

  it("accepts custom agent templates and preset switches", async () => {
    const path = join(dir, "node.json");
    const agents = {
      presets: { claude: false },
      disabled: ["pi"],
      limits: { claude: 1 },
      custom: { mytool: { command: ["mytool", "--in", "{{prompt_file}}", "--model", "{{model}}"] } },
    };
    await writeConfig(path, { ...base, agents });
    expect((await loadConfig(path)).agents).toEqual(agents);
  });

  it("refuses a template with an unknown placeholder or a templated executable", async () => {
    const path = join(dir, "node.json");
    await writeFile(path, JSON.stringify({ ...base, agents: { custom: { t: { command: ["t", "{{promt_file}}"] } } } }));
    await expectConfigError(path, "invalid", /unknown placeholder \{\{promt_file\}\}/);
    await writeFile(path, JSON.stringify({ ...base, agents: { custom: { t: { command: ["{{workdir}}/t"] } } } }));
    await expectConfigError(path, "invalid", /executable must be a plain name/);
  });

  it("does not let a custom agent redefine exec", async () => {
    const path = join(dir, "node.json");
    await writeFile(path, JSON.stringify({ ...base, agents: { custom: { exec: { command: ["sh"] } } } }));
    await expectConfigError(path, "invalid", /exec is built in/);
  });

  it("finds the config and data dir from env, config and defaults in that order", () => {
    expect(defaultConfigPath({ MUSTER_NODE_CONFIG: "/etc/muster/n.json" })).toBe("/etc/muster/n.json");
    expect(defaultConfigPath({})).toMatch(/\.config\/muster\/node\.json$/);
    expect(resolveDataDir({ dataDir: "/srv/a" }, { MUSTER_NODE_DATA_DIR: "/srv/b" })).toBe("/srv/b");
    expect(resolveDataDir({ dataDir: "/srv/a" }, {})).toBe("/srv/a");
    expect(resolveDataDir({}, {})).toMatch(/\.muster\/node$/);
  });
});
