import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  findProjectConfig,
  normalizeUrl,
  readConfigFile,
  removeStoredToken,
  resolveConfig,
  userConfigPath,
  writableConfigPath,
  writeConfigFile,
} from "./config.js";
import { CLIError } from "./errors.js";

let root: string;
let home: string;
let project: string;
let cwd: string;

async function put(path: string, data: object): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, JSON.stringify(data));
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "muster-cli-config-"));
  home = join(root, "home");
  project = join(root, "repo");
  cwd = join(project, "a", "b");
  await mkdir(cwd, { recursive: true });
  await mkdir(home, { recursive: true });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("resolveConfig", () => {
  it("reads ~/.config/muster/cli.json when nothing else is there", async () => {
    await put(userConfigPath(home), { url: "http://user", token: "mat_user" });
    const c = await resolveConfig({ env: {}, cwd, home });
    expect(c).toMatchObject({ url: "http://user", token: "mat_user", urlSource: "user", tokenSource: "user" });
  });

  it("prefers the nearest .muster/cli.json walking up from the current directory", async () => {
    await put(userConfigPath(home), { url: "http://user", token: "mat_user" });
    await put(join(project, ".muster", "cli.json"), { url: "http://far", token: "mat_far" });
    await put(join(project, "a", ".muster", "cli.json"), { url: "http://near", token: "mat_near" });
    const c = await resolveConfig({ env: {}, cwd, home });
    expect(c).toMatchObject({ url: "http://near", token: "mat_near", file: { source: "project" } });
    expect(await findProjectConfig(cwd)).toBe(join(project, "a", ".muster", "cli.json"));
  });

  it("prefers MUSTER_CLI_CONFIG over project and user files, and --config over MUSTER_CLI_CONFIG", async () => {
    await put(join(project, ".muster", "cli.json"), { url: "http://project", token: "mat_project" });
    await put(join(root, "env.json"), { url: "http://envfile", token: "mat_envfile" });
    await put(join(root, "flag.json"), { url: "http://flag", token: "mat_flag" });
    const env = { MUSTER_CLI_CONFIG: join(root, "env.json") };
    expect((await resolveConfig({ env, cwd, home })).url).toBe("http://envfile");
    const c = await resolveConfig({ env, cwd, home, configFlag: join(root, "flag.json") });
    expect(c).toMatchObject({ url: "http://flag", token: "mat_flag", file: { source: "explicit" } });
  });

  it("does not fall back to other files when the explicit one is missing", async () => {
    await put(userConfigPath(home), { url: "http://user", token: "mat_user" });
    const c = await resolveConfig({ env: {}, cwd, home, configFlag: "missing.json" });
    expect(c.url).toBeUndefined();
    expect(c.file.path).toBe(join(cwd, "missing.json"));
  });

  it("lets MUSTER_URL and MUSTER_TOKEN override the file one at a time", async () => {
    await put(userConfigPath(home), { url: "http://user", token: "mat_user" });
    const urlOnly = await resolveConfig({ env: { MUSTER_URL: "http://env" }, cwd, home });
    expect(urlOnly).toMatchObject({ url: "http://env", token: "mat_user", urlSource: "env", tokenSource: "user" });
    const tokenOnly = await resolveConfig({ env: { MUSTER_TOKEN: "mat_env" }, cwd, home });
    expect(tokenOnly).toMatchObject({ url: "http://user", token: "mat_env", urlSource: "user", tokenSource: "env" });
  });

  it("works from the environment alone, and treats empty values as unset", async () => {
    const c = await resolveConfig({ env: { MUSTER_URL: "http://env", MUSTER_TOKEN: "mat_env", MUSTER_CLI_CONFIG: "" }, cwd, home });
    expect(c).toMatchObject({ url: "http://env", token: "mat_env" });
    expect((await resolveConfig({ env: { MUSTER_URL: " " }, cwd, home })).url).toBeUndefined();
  });

  it("reports an unreadable config file as a failure that names it", async () => {
    await mkdir(join(home, ".config", "muster"), { recursive: true });
    await writeFile(userConfigPath(home), "{not json");
    await expect(resolveConfig({ env: {}, cwd, home })).rejects.toThrow(/invalid config file .*cli\.json: not JSON/);
  });
});

describe("writing", () => {
  it("writes the user file by default and the explicit file when given", () => {
    expect(writableConfigPath({ env: {}, cwd, home })).toBe(userConfigPath(home));
    expect(writableConfigPath({ env: { MUSTER_CLI_CONFIG: "x.json" }, cwd, home })).toBe(join(cwd, "x.json"));
  });

  it("creates the directory, writes mode 0600 and leaves no temp file behind", async () => {
    const path = userConfigPath(home);
    await writeConfigFile(path, { url: "http://u", token: "mat_t" });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ url: "http://u", token: "mat_t" });
    expect(await readdir(join(home, ".config", "muster"))).toEqual(["cli.json"]);
  });

  it("tightens a file that was group-readable before", async () => {
    const path = join(root, "loose.json");
    await writeFile(path, "{}", { mode: 0o644 });
    await writeConfigFile(path, { url: "http://u", token: "mat_t" });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("logout removes only the token and says whether there was one", async () => {
    const path = userConfigPath(home);
    await writeConfigFile(path, { url: "http://u", token: "mat_t" });
    expect(await removeStoredToken(path)).toBe(true);
    expect(await readConfigFile(path)).toEqual({ url: "http://u" });
    expect(await removeStoredToken(path)).toBe(false);
    expect(await removeStoredToken(join(root, "none.json"))).toBe(false);
  });
});

describe("normalizeUrl", () => {
  it("drops trailing slashes and keeps a path prefix", () => {
    expect(normalizeUrl("http://localhost:7070/")).toBe("http://localhost:7070");
    expect(normalizeUrl("https://x.example/muster//")).toBe("https://x.example/muster");
  });

  it("takes the API's URL (ending in /v1) for the coordinator's", () => {
    expect(normalizeUrl("http://127.0.0.1:7391/v1")).toBe("http://127.0.0.1:7391");
    expect(normalizeUrl("https://x.example/muster/v1/")).toBe("https://x.example/muster");
  });

  it("refuses what is not an http(s) URL as a usage error", () => {
    for (const bad of ["localhost:7070", "ftp://x", "nonsense", "http://x/?a=1"]) {
      const err = (() => {
        try {
          normalizeUrl(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(CLIError);
      expect((err as CLIError).exitCode).toBe(2);
    }
  });
});
