// The agents this node can run: `exec`, enabled presets and custom templates whose executable exists.
import { DEFAULT_APPROVAL_TIMEOUT_MS, type AgentInfo, type TaskSpec } from "@muster/protocol";
import { mcpConfigPath, writeApprovalMcpConfig } from "../approvals/mcp-config.js";
import type { AgentsConfig } from "../config.js";
import { findExecutable, readVersion } from "./detect.js";
import { PRESET_NAMES, PRESETS, promptArgument, type PresetName } from "./presets.js";
import { renderTemplate } from "./template.js";

/** Where one claim runs; the prompt file already holds task.prompt when the agent needs one. */
export interface AgentRun {
  task: TaskSpec;
  workdir: string;
  promptFile: string;
}

export interface AgentEntry {
  info: AgentInfo;
  /** Builds the full argv; argv[0] is the absolute path found at detection (the task's env may change PATH). */
  command(run: AgentRun): string[];
  /** The preset whose machine-readable stdout is parsed into records; null for exec and custom agents. */
  format: PresetName | null;
  /** Writes what the command line refers to into the claim's dir (the MCP config of tool approvals). */
  prepare?(run: AgentRun): Promise<void>;
}

export type AgentCheck =
  | { ok: true; agent: AgentEntry }
  | { ok: false; reason: "agent_unavailable" | "invalid_task"; message: string };

interface Candidate {
  name: string;
  kind: "preset" | "custom";
  executable: string;
  format: PresetName | null;
  command(path: string, run: AgentRun): string[];
}

/** Tool approvals: claude gets the claim's MCP config when its task has approveTools. */
const approvalConfig = ({ task, workdir }: AgentRun): string | null => (task.approveTools ? mcpConfigPath(workdir) : null);

function candidates(config: AgentsConfig): Candidate[] {
  const out: Candidate[] = [];
  for (const name of PRESET_NAMES) {
    if (config.presets[name] === false || Object.hasOwn(config.custom, name)) continue;
    const preset = PRESETS[name];
    out.push({
      name,
      kind: "preset",
      executable: preset.executable,
      format: name,
      command: (path, run) => [
        path,
        ...preset.args({ prompt: promptArgument(run.task.prompt ?? ""), model: run.task.model, thinking: run.task.thinking, mcpConfig: approvalConfig(run) }),
      ],
    });
  }
  for (const [name, { command }] of Object.entries(config.custom)) {
    out.push({
      name,
      kind: "custom",
      executable: command[0]!,
      format: null,
      command: (path, { task, workdir, promptFile }) => [
        path,
        ...renderTemplate(command.slice(1), {
          prompt_file: promptFile,
          workdir,
          model: task.model ?? "",
          thinking: task.thinking ?? "",
        }),
      ],
    });
  }
  return out.filter((c) => !config.disabled.includes(c.name));
}

async function prepareApprovals({ task, workdir }: AgentRun, defaultTimeoutMs: number): Promise<void> {
  if (!task.approveTools) return;
  await writeApprovalMcpConfig(workdir, { approveTools: task.approveTools, timeoutMs: task.approveToolsTimeoutMs ?? defaultTimeoutMs });
}

export interface DetectOptions {
  pathEnv: string;
  cwd?: string;
  /** Run `--version` on each found executable (2 s limit each). */
  versions?: boolean;
  versionTimeoutMs?: number;
  /** Env for the `--version` runs; agent CLIs are often scripts that need PATH and HOME. */
  versionEnv?: Record<string, string>;
  /** How long a tool ask waits for an answer when its task does not say. */
  approvalTimeoutMs?: number;
}

const EXEC_AGENT: AgentEntry = {
  info: { name: "exec", kind: "exec", version: null, limit: null },
  command: ({ task }) => [...task.argv],
  format: null,
};

export class AgentCatalog {
  private constructor(private readonly entries: ReadonlyMap<string, AgentEntry>) {}

  static async detect(config: AgentsConfig, opts: DetectOptions): Promise<AgentCatalog> {
    const found = await Promise.all(
      candidates(config).map(async (c): Promise<AgentEntry | null> => {
        const path = await findExecutable(c.executable, opts.pathEnv, opts.cwd);
        if (!path) return null;
        const version =
          opts.versions === false
            ? null
            : await readVersion(path, { timeoutMs: opts.versionTimeoutMs ?? 2000, env: opts.versionEnv ?? {} });
        const limit = config.limits[c.name] ?? null;
        const entry: AgentEntry = { info: { name: c.name, kind: c.kind, version, limit }, command: (run) => c.command(path, run), format: c.format };
        if (c.format === "claude") entry.prepare = (run) => prepareApprovals(run, opts.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS);
        return entry;
      }),
    );
    const entries = new Map<string, AgentEntry>();
    if (!config.disabled.includes("exec"))
      entries.set("exec", { ...EXEC_AGENT, info: { ...EXEC_AGENT.info, limit: config.limits.exec ?? null } });
    for (const e of found) if (e) entries.set(e.info.name, e);
    return new AgentCatalog(entries);
  }

  /** The agent's own limit of claims at once on this node, if it has one. */
  limit(name: string): number | null {
    return this.entries.get(name)?.info.limit ?? null;
  }

  /** What `hello` advertises. */
  advertised(): AgentInfo[] {
    return [...this.entries.values()].map((e) => e.info);
  }

  /** Whether this node can run the task at all; the reasons are the claim.reject reasons. */
  check(task: TaskSpec): AgentCheck {
    const agent = this.entries.get(task.agent);
    if (!agent) return { ok: false, reason: "agent_unavailable", message: `agent ${task.agent} is not available on this node` };
    if (agent.info.kind === "exec") {
      if (task.argv.length === 0 || task.argv[0] === "")
        return { ok: false, reason: "invalid_task", message: "agent exec needs a non-empty argv" };
    } else if (!task.prompt) {
      return { ok: false, reason: "invalid_task", message: `agent ${task.agent} needs a prompt` };
    }
    if (task.approveTools && agent.format !== "claude")
      return { ok: false, reason: "invalid_task", message: `approveTools needs the claude preset; agent ${task.agent} here is not it` };
    return { ok: true, agent };
  }
}
