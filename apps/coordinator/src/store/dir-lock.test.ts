import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DirectoryInUseError, LOCK_FILE, lockDirectory } from "./dir-lock.js";

describe("data directory lock", () => {
  const dirs: string[] = [];
  const fresh = () => {
    const d = mkdtempSync(join(tmpdir(), "muster-lock-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("refuses a second holder, naming the first one's pid, until the first releases it", () => {
    const dir = fresh();
    const lock = lockDirectory(dir);
    expect(readFileSync(join(dir, LOCK_FILE), "utf8").trim()).toBe(String(process.pid));
    expect(() => lockDirectory(dir)).toThrow(DirectoryInUseError);
    expect(() => lockDirectory(dir)).toThrow(`in use by another process (pid ${process.pid})`);
    lock.release();
    lockDirectory(dir).release();
  });

  it("takes over a lock whose process is gone", () => {
    const dir = fresh();
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    writeFileSync(join(dir, LOCK_FILE), `${gone.stdout}\n`);
    const lock = lockDirectory(dir);
    expect(readFileSync(join(dir, LOCK_FILE), "utf8").trim()).toBe(String(process.pid));
    lock.release();
  });

  it("takes over a lock file that holds no pid", () => {
    const dir = fresh();
    writeFileSync(join(dir, LOCK_FILE), "");
    lockDirectory(dir).release();
  });
});
