// Built-in agents: each CLI's unattended, machine-readable command line (fixtures/agents/README.md).
import { AGENT_PRESETS, APPROVAL_PERMISSION_TOOL } from "@muster/protocol";

export const PRESET_NAMES = AGENT_PRESETS;
export type PresetName = (typeof PRESET_NAMES)[number];

/** What a preset needs to build its command line for one claim. */
export interface PresetRun {
  /** The text passed as the prompt argument (see `promptArgument`). */
  prompt: string;
  model: string | null;
  thinking: string | null;
  /** The claim's MCP config for tool approvals (claude only); null or absent: no tool asks. */
  mcpConfig?: string | null;
}

export interface Preset {
  executable: string;
  args(run: PresetRun): string[];
}

const flag = (name: string, value: string | null): string[] => (value ? [name, value] : []);

export const PRESETS: Record<PresetName, Preset> = {
  claude: {
    executable: "claude",
    // --verbose is required with -p and stream-json; acceptEdits lets it edit files without a prompt. With tool
    // approvals every call that needs permission (edits too) goes to the approval server, which allows unlisted tools.
    args: ({ prompt, model, thinking, mcpConfig }) => [
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      ...(mcpConfig
        ? ["--permission-mode", "default", "--mcp-config", mcpConfig, "--permission-prompt-tool", APPROVAL_PERMISSION_TOOL]
        : ["--permission-mode", "acceptEdits"]),
      ...flag("--model", model),
      ...flag("--effort", thinking),
      prompt,
    ],
  },
  codex: {
    executable: "codex",
    // The claim's work dir is not a git repository, which codex exec refuses without the skip flag.
    args: ({ prompt, model, thinking }) => [
      "exec",
      "--json",
      "--full-auto",
      "--skip-git-repo-check",
      ...flag("--model", model),
      ...(thinking ? ["-c", `model_reasoning_effort="${thinking}"`] : []),
      prompt,
    ],
  },
  opencode: {
    executable: "opencode",
    args: ({ prompt, model, thinking }) => [
      "run",
      "--format",
      "json",
      ...flag("--model", model),
      ...flag("--variant", thinking),
      prompt,
    ],
  },
  pi: {
    executable: "pi",
    args: ({ prompt, model, thinking }) => [
      "-p",
      "--mode",
      "json",
      ...flag("--model", model),
      ...flag("--thinking", thinking),
      prompt,
    ],
  },
};

/** Linux refuses a single argument over 128 KiB (MAX_ARG_STRLEN); stay well below it. */
export const MAX_PROMPT_ARG_BYTES = 64 * 1024;

/**
 * The prompt argument for a preset. The full prompt is always in `.muster/prompt.md`; a prompt too
 * long for one argument is replaced by a pointer to that file. A leading space keeps a prompt that
 * starts with "-" from being read as a flag.
 */
export function promptArgument(prompt: string): string {
  if (Buffer.byteLength(prompt) > MAX_PROMPT_ARG_BYTES)
    return "Your task is in the file .muster/prompt.md in the current directory. Read it and do what it says.";
  return prompt.startsWith("-") ? ` ${prompt}` : prompt;
}
