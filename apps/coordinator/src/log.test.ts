import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { LOG_SERIALIZERS, REDACT_PATHS } from "./log.js";

function capture() {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ redact: { paths: REDACT_PATHS, censor: "[redacted]" }, serializers: LOG_SERIALIZERS }, out), lines };
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

  it("keep a failed query's cause and code but not its statement or parameters", () => {
    const { log, lines } = capture();
    const driver = Object.assign(new Error('value "2147483648" is out of range for type integer'), { code: "22003" });
    const failed = new DrizzleQueryError('insert into "claim_records" values ($1, $2)', ["record text the worker wrote", 2 ** 31], driver);
    log.error({ err: failed }, "frame could not be applied");
    log.error({ err: new Error("storing records failed", { cause: failed }) }, "wrapped");
    for (const text of lines) {
      expect(text).not.toContain("record text the worker wrote");
      expect(text).not.toContain("claim_records");
    }
    const [direct, wrapped] = lines.map((l) => JSON.parse(l).err);
    expect(direct).toEqual({ type: "DrizzleQueryError", message: 'value "2147483648" is out of range for type integer', code: "22003" });
    expect(wrapped.message).toBe('storing records failed: value "2147483648" is out of range for type integer');
  });

  it("keep ordinary errors whole", () => {
    const { log, lines } = capture();
    log.error({ err: new TypeError("boom") }, "x");
    const err = JSON.parse(lines[0]!).err;
    expect(err.type).toBe("TypeError");
    expect(err.message).toBe("boom");
    expect(err.stack).toContain("TypeError: boom");
  });
});
