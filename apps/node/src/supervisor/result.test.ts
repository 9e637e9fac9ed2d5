import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readClaimResult } from "./result.js";

describe("readClaimResult", () => {
  let dir: string;
  beforeEach(async () => void (dir = await mkdtemp(join(tmpdir(), "muster-result-"))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("is undefined when the worker wrote no file", async () => {
    expect(await readClaimResult(join(dir, "result.json"))).toBeUndefined();
  });

  it("parses the JSON the worker wrote", async () => {
    await writeFile(join(dir, "result.json"), '{"verdict":"pass","n":[1,2]}');
    expect(await readClaimResult(join(dir, "result.json"))).toEqual({ value: { verdict: "pass", n: [1, 2] } });
  });

  it("turns a file that is not JSON into an error note", async () => {
    await writeFile(join(dir, "result.json"), '{"a":1}{"b":2}');
    const result = await readClaimResult(join(dir, "result.json"));
    expect(result).toMatchObject({ error: expect.stringContaining("not valid JSON") });
  });

  it("never follows a symlink the worker planted to a file of the node's", async () => {
    await writeFile(join(dir, "node.json"), '{"privateKey":"secret"}');
    await symlink(join(dir, "node.json"), join(dir, "result.json"));
    expect(await readClaimResult(join(dir, "result.json"))).toEqual({ error: "the result file is a symlink" });
    await mkdir(join(dir, "work"));
    await symlink(dir, join(dir, "work", ".muster"));
    expect(await readClaimResult(join(dir, "work", ".muster", "node.json"))).toEqual({ error: "the result file's directory is a symlink" });
  });

  it("turns a file over the cap into an error note without reading it", async () => {
    await writeFile(join(dir, "result.json"), JSON.stringify({ pad: "x".repeat(200) }));
    const result = await readClaimResult(join(dir, "result.json"), 100);
    expect(result).toMatchObject({ error: expect.stringContaining("over the 100 byte cap") });
  });
});
