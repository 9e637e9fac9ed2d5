import { describe, expect, it } from "vitest";
import { placeholdersIn, renderTemplate } from "./template.js";

const vars = { prompt_file: "/w/.muster/prompt.md", workdir: "/w", model: "opus", thinking: "" };

describe("custom agent templates", () => {
  it("fills in every placeholder, also inside a longer argument", () => {
    expect(renderTemplate(["--in", "{{prompt_file}}", "--cwd={{workdir}}", "--model", "{{ model }}"], vars)).toEqual([
      "--in",
      "/w/.muster/prompt.md",
      "--cwd=/w",
      "--model",
      "opus",
    ]);
  });

  it("drops an argument that becomes empty, and only that argument", () => {
    expect(renderTemplate(["--think", "{{thinking}}", "{{model}}{{thinking}}", "x"], vars)).toEqual(["--think", "opus", "x"]);
  });

  it("keeps an argument that was empty to begin with", () => {
    expect(renderTemplate(["", "{{thinking}}"], vars)).toEqual([""]);
  });

  it("lists the placeholders an argument uses", () => {
    expect(placeholdersIn("{{a}}-{{ workdir }}")).toEqual(["a", "workdir"]);
    expect(placeholdersIn("plain")).toEqual([]);
  });
});
