// One process per data directory: a lock file holding the owner's pid. A lock whose process is gone (a crash, a
// SIGKILL) is taken over; a live owner is named in the refusal, so a person knows which process to stop.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

export const LOCK_FILE = "owner.pid";

export class DirectoryInUseError extends Error {
  override readonly name = "DirectoryInUseError";
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`the data directory ${dir} is in use by another process (pid ${pid}); stop it first or use another data directory`);
  }
}

export interface DirectoryLock {
  release(): void;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

function ownerOf(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Takes `dir` for this process or throws DirectoryInUseError naming the process that holds it. */
export function lockDirectory(dir: string): DirectoryLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        release: () => {
          if (ownerOf(path) === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = ownerOf(path);
    if (owner !== null && alive(owner)) throw new DirectoryInUseError(dir, owner);
    // Left by a process that is gone (or half-written by one that died at once): take it over. Two processes
    // doing this at once both unlink, and only one of them then creates the file.
    rmSync(path, { force: true });
  }
  const owner = ownerOf(path);
  throw new DirectoryInUseError(dir, owner ?? 0);
}
