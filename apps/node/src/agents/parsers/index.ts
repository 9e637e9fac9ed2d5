// The output parser for each preset's machine-readable stdout; exec and custom agents print free text and get none.
import type { PresetName } from "../presets.js";
import { claudeStreamJson } from "./claude.js";
import { codexExecJson } from "./codex.js";
import { opencodeJson } from "./opencode.js";
import { piJson } from "./pi.js";
import { outputParser, type AgentOutputParser, type FormatHandler } from "./record.js";

export type { AgentOutputParser, ParsedRecord, ProcessEnd } from "./record.js";

const FORMATS: Record<PresetName, () => FormatHandler> = {
  claude: claudeStreamJson,
  codex: codexExecJson,
  opencode: opencodeJson,
  pi: piJson,
};

/** A fresh parser (formats keep per-run state) for one run of the preset. */
export function createOutputParser(preset: PresetName): AgentOutputParser {
  return outputParser(FORMATS[preset]());
}
