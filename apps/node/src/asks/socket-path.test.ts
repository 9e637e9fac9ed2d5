import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_SOCKET_PATH_BYTES, SocketPaths } from "./socket-path.js";

describe("socket paths", () => {
  it("go under <dataDir>/s, which a new daemon empties of what a crashed one left", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "muster-sp-"));
    mkdirSync(join(dataDir, "s"));
    writeFileSync(join(dataDir, "s", "stale.sock"), "");
    const paths = new SocketPaths(dataDir);
    expect(existsSync(join(dataDir, "s", "stale.sock"))).toBe(false);
    const a = paths.next();
    expect(dirname(a)).toBe(join(dataDir, "s"));
    expect(paths.next()).not.toBe(a);
  });

  it("move to a private temp dir when the data dir is too deep for a socket", () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), "muster-sp-")), "d".repeat(120));
    const path = new SocketPaths(dataDir).next();
    expect(path.startsWith(dataDir)).toBe(false);
    expect(Buffer.byteLength(path)).toBeLessThan(MAX_SOCKET_PATH_BYTES);
  });
});
