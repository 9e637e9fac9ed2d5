import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./log.js";

describe("logger", () => {
  it("redacts keys, tokens and authorization headers wherever they appear", () => {
    let out = "";
    const destination = new Writable({
      write(chunk, _enc, cb) {
        out += String(chunk);
        cb();
      },
    });
    const log = createLogger({ destination }).child({ component: "test" });
    log.info(
      { privateKey: { d: "PRIVATE-D" }, config: { privateKey: "PK" }, headers: { authorization: "Bearer JWT" }, join: { key: "mjk_a_b" }, token: 7 },
      "hello",
    );
    const line = JSON.parse(out) as Record<string, unknown>;
    expect(out).not.toMatch(/PRIVATE-D|"PK"|Bearer JWT|mjk_a_b/);
    expect(line).toMatchObject({ component: "test", msg: "hello", token: 7, privateKey: "[redacted]" });
  });
});
