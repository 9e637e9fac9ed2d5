import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { REDACT_PATHS } from "./log.js";

function capture() {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ redact: { paths: REDACT_PATHS, censor: "[redacted]" } }, out), lines };
}

describe("coordinator logs", () => {
  it("hide secrets but keep a claim's fencing token readable", () => {
    const { log, lines } = capture();
    log.info({ token: 3, adminToken: "mat_x_y", headers: { authorization: "Bearer abc" }, joinKey: "mjk_a_b" }, "x");
    const line = JSON.parse(lines[0]!);
    expect(line.token).toBe(3);
    expect(line.adminToken).toBe("[redacted]");
    expect(line.headers.authorization).toBe("[redacted]");
    expect(line.joinKey).toBe("[redacted]");
  });
});
