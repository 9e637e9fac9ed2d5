// Where a claim's socket goes. A unix socket path must stay short (about 104 bytes on macOS, 108 on Linux), so
// it is a short random name under <dataDir>/s, or under a private dir in the temp dir when the data dir is deep.
import { randomBytes } from "node:crypto";
import { chmodSync, lstatSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MAX_SOCKET_PATH_BYTES = 100;

const userTag = () => (typeof process.getuid === "function" ? String(process.getuid()) : "user");

/** A directory only this user can use; false when it cannot be made so (someone else owns it). */
function privateDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    const mine = typeof process.getuid !== "function" || st.uid === process.getuid();
    if (!st.isDirectory() || !mine) return false;
    if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
    return true;
  } catch {
    return false;
  }
}

export class SocketPaths {
  private readonly own: string;

  /** Empties <dataDir>/s: sockets a crashed daemon left there belong to workers that are gone. */
  constructor(dataDir: string) {
    this.own = join(dataDir, "s");
    rmSync(this.own, { recursive: true, force: true });
  }

  /** A fresh socket path under the first candidate dir that keeps it short enough. */
  next(): string {
    const name = `${randomBytes(6).toString("hex")}.sock`;
    const candidates = [this.own, join(tmpdir(), `muster-${userTag()}`), join("/tmp", `muster-${userTag()}`)];
    for (const dir of candidates) {
      const path = join(dir, name);
      if (Buffer.byteLength(path) < MAX_SOCKET_PATH_BYTES && privateDir(dir)) return path;
    }
    throw new Error(`no directory gives a socket path under ${MAX_SOCKET_PATH_BYTES} bytes (data dir ${this.own})`);
  }
}
