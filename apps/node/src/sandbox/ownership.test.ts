import { lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { chownContents, ClaimGroups } from "./ownership.js";

describe("ClaimGroups", () => {
  it("gives each running claim its own group and reuses a released one", () => {
    const groups = new ClaimGroups(5000, 3);
    expect([groups.take(), groups.take()]).toEqual([5000, 5001]);
    groups.release(5000);
    expect(groups.take()).toBe(5000);
    expect(groups.take()).toBe(5002);
    expect(() => groups.take()).toThrow(/all 3 claim groups are in use/);
  });
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(process.getuid?.() !== 0)("chownContents", () => {
  it("hands over everything below the dir but the dir itself, the skipped names and what a symlink points at", async () => {
    const dir = mkdtempSync(join(tmpdir(), "muster-own-"));
    const outside = mkdtempSync(join(tmpdir(), "muster-own-outside-"));
    dirs.push(dir, outside);
    mkdirSync(join(dir, "a", "b"), { recursive: true });
    writeFileSync(join(dir, "a", "b", "f"), "x");
    writeFileSync(join(dir, ".git"), "gitdir: /x\n");
    writeFileSync(join(outside, "secret"), "s");
    symlinkSync(join(outside, "secret"), join(dir, "link"));
    await chownContents(dir, 4242, 4343, new Set([".git"]));
    expect(statSync(join(dir, "a", "b", "f"))).toMatchObject({ uid: 4242, gid: 4343 });
    expect(statSync(join(dir, "a"))).toMatchObject({ uid: 4242, gid: 4343 });
    expect(lstatSync(join(dir, "link"))).toMatchObject({ uid: 4242, gid: 4343 });
    expect(statSync(join(outside, "secret"))).toMatchObject({ uid: 0, gid: 0 });
    expect(statSync(join(dir, ".git"))).toMatchObject({ uid: 0 });
    expect(statSync(dir)).toMatchObject({ uid: 0 });
  });
});
