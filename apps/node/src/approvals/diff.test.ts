import { mkdtempSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyReplacements, capDiff, editDiff } from "./diff.js";

const dir = mkdtempSync(join(tmpdir(), "muster-diff-"));
const read = (path: string) => readFile(path, "utf8").catch(() => null);

describe("edit diffs", () => {
  it("shows a Write of a new file as all added lines", async () => {
    const path = join(dir, "new.txt");
    const diff = await editDiff("Write", { file_path: path, content: "one\ntwo\n" }, read);
    expect(diff).toContain(`+++ ${path}`);
    expect(diff).toContain("+one\n+two\n");
  });

  it("shows an Edit of an existing file as the line it changes", async () => {
    const path = join(dir, "a.ts");
    writeFileSync(path, "const a = 1;\nconst b = 2;\n");
    const diff = await editDiff("Edit", { file_path: path, old_string: "b = 2", new_string: "b = 3" }, read);
    expect(diff).toContain("-const b = 2;\n+const b = 3;\n");
    expect(diff).not.toContain("-const a = 1;");
  });

  it("applies a MultiEdit's replacements in order", async () => {
    const path = join(dir, "m.txt");
    writeFileSync(path, "x x\ny\n");
    const diff = await editDiff("MultiEdit", { file_path: path, edits: [{ old_string: "x", new_string: "z", replace_all: true }, { old_string: "y", new_string: "w" }] }, read);
    expect(diff).toContain("-x x\n-y\n+z z\n+w\n");
  });

  it("gives no diff for other tools or inputs that are not edits", async () => {
    expect(await editDiff("Bash", { command: "ls" }, read)).toBeNull();
    expect(await editDiff("Edit", { file_path: "/x" }, read)).toBeNull();
    expect(await editDiff("Write", { content: "no path" }, read)).toBeNull();
  });

  it("replaces only the first match unless replace_all, and takes $ in the new text literally", () => {
    expect(applyReplacements("a a", [{ old_string: "a", new_string: "$&b" }])).toBe("$&b a");
  });

  it("cuts a long diff at a line end and says how much is left out", () => {
    const capped = capDiff("line\n".repeat(100), 52);
    expect(capped).toBe(`${"line\n".repeat(10)}... diff cut: 450 more bytes\n`);
  });
});
