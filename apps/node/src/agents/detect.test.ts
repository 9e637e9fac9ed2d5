import { chmod, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { findExecutable, readVersion } from "./detect.js";

let root: string;

async function script(dir: string, name: string, body: string, mode = 0o755): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, mode);
  return file;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "muster-path-"));
});

describe("finding executables on PATH", () => {
  it("takes the first PATH entry that has an executable file of that name", async () => {
    const a = join(root, "a");
    const b = join(root, "b");
    await script(a, "other", "true");
    const inB = await script(b, "tool", "true");
    await script(join(root, "c"), "tool", "true");
    expect(await findExecutable("tool", [a, b, join(root, "c")].join(":"))).toBe(inB);
  });

  it("skips files that are not executable and directories of that name", async () => {
    await script(join(root, "a"), "tool", "true", 0o644);
    await mkdir(join(root, "b", "tool"), { recursive: true });
    const good = await script(join(root, "c"), "tool", "true");
    expect(await findExecutable("tool", [join(root, "a"), join(root, "b"), join(root, "c")].join(":"))).toBe(good);
  });

  it("ignores empty and relative PATH entries", async () => {
    await script(join(root, "rel"), "tool", "true");
    expect(await findExecutable("tool", ":rel:", root)).toBeNull();
  });

  it("returns null when nothing is found", async () => {
    expect(await findExecutable("no-such-agent", join(root, "none"))).toBeNull();
  });

  it("takes a name with a slash as a path", async () => {
    const file = await script(join(root, "bin"), "tool", "true");
    expect(await findExecutable(file, "")).toBe(file);
    expect(await findExecutable("bin/tool", "", root)).toBe(file);
  });
});

describe("reading an agent's version", () => {
  it("returns the first non-empty line of --version", async () => {
    const file = await script(root, "tool", 'echo; echo "tool 1.2.3 (build 7)"; echo more');
    expect(await readVersion(file)).toBe("tool 1.2.3 (build 7)");
  });

  it("returns null when --version fails or hangs past the limit", async () => {
    expect(await readVersion(await script(root, "bad", "exit 2"))).toBeNull();
    const started = Date.now();
    expect(await readVersion(await script(root, "slow", "sleep 5"), { timeoutMs: 200 })).toBeNull();
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
