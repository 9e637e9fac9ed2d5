// `muster pulse`: the fleet's autonomous loop. Status, pause/resume, one beat now, and its tick agent and budget.
import { parseDuration, PulseConfigureRequest, PulseStatus } from "@muster/protocol";
import type { Command } from "commander";
import { usageError } from "../errors.js";
import { formatFields } from "../format/table.js";
import { formatTimestamp } from "../format/time.js";
import { writeJson, writeLine } from "../output.js";
import { connect, type Ctx, examples, parseIntOption } from "./_context.js";
import { checked } from "./_pulse-input.js";

interface ConfigureOptions {
  agent?: string;
  model?: string;
  selector?: string;
  interval?: string;
  maxDecidesPerHour?: string;
  json?: boolean;
}

export function statusText(s: PulseStatus, now: number): string {
  const agent = s.agent.argv.length ? `exec: ${s.agent.argv.join(" ")}` : `${s.agent.agent}${s.agent.model ? ` (${s.agent.model})` : ""}`;
  return formatFields([
    ["state", s.reason ? `${s.phase}: ${s.reason}` : s.phase],
    ["agent", `${agent}${s.agent.selector ? ` on ${s.agent.selector}` : ""}`],
    ["interval", `${Math.round(s.intervalMs / 1000)}s`],
    ["next beat", formatTimestamp(s.nextBeatAt, now)],
    ["decides", `${s.decidesLastHour} in the last hour, at most ${s.maxDecidesPerHour}`],
    ["goals", String(s.goals)],
    ["sensors", String(s.sensors)],
    ["schedules", s.schedules.length ? s.schedules.map((x) => `${x.name} at ${x.nextAt ?? "-"}`).join(", ") : "-"],
    ["last failure", s.lastFailure ?? "-"],
    ["last decision", s.lastDecisionId ?? "-"],
  ]);
}

export function register(program: Command, ctx: Ctx): void {
  const { io } = ctx;
  const pulse = program
    .command("pulse")
    .description("the pulse: watches sensors and decides one move per beat toward the goals")
    .addHelpText(
      "after",
      examples("muster pulse status", "muster pulse resume", "muster pulse configure --agent claude --interval 60s", "muster pulse configure -- ./my-decider.sh"),
    );

  const show = (path: string, method: "get" | "post", description: string, isDefault = false) =>
    pulse
      .command(path, isDefault ? { isDefault: true } : {})
      .description(description)
      .addHelpText("after", examples(`muster pulse ${path}`, `muster pulse ${path} --json`))
      .option("--json", "print the PulseStatus as JSON")
      .action(async (opts: { json?: boolean }, cmd: Command) => {
        const client = await connect(ctx, cmd);
        const s = method === "get" ? await client.get("/v1/pulse", PulseStatus) : await client.post(`/v1/pulse/${path}`, {}, PulseStatus);
        if (opts.json) return writeJson(io.stdout, PulseStatus, s);
        writeLine(io.stdout, statusText(s, io.now()));
      });
  show("status", "get", "show what the pulse is doing and why (the default)", true);
  show("pause", "post", "pause the pulse: no sensors run and nothing is decided");
  show("resume", "post", "start (or restart) the pulse");
  show("beat", "post", "run one beat now, deciding even when nothing changed");

  pulse
    .command("configure")
    .description("set the tick agent (a preset, or a custom decider after --), its model and nodes, the interval and the decide budget")
    .argument("[argv...]", "a custom decider command (runs as exec), after --")
    .option("--agent <agent>", "tick agent preset: claude, codex, opencode, pi")
    .option("--model <model>", "model for the tick agent")
    .option("--selector <selector>", "run decide tasks on nodes matching these labels")
    .option("--interval <duration>", "time between beats, e.g. 60s")
    .option("--max-decides-per-hour <n>", "decide budget per rolling hour")
    .option("--json", "print the PulseStatus as JSON")
    .addHelpText("after", examples("muster pulse configure --agent claude --model sonnet --max-decides-per-hour 30", "muster pulse configure -- node decider.mjs"))
    .action(async (argv: string[], opts: ConfigureOptions, cmd: Command) => {
      let intervalMs: number | undefined;
      if (opts.interval !== undefined) {
        try {
          intervalMs = parseDuration(opts.interval);
        } catch (err) {
          throw usageError(`--interval: ${(err as Error).message}`);
        }
      }
      const body = checked(
        PulseConfigureRequest,
        {
          ...(opts.agent !== undefined ? { agent: opts.agent } : {}),
          ...(opts.model !== undefined ? { model: opts.model } : {}),
          ...(opts.selector !== undefined ? { selector: opts.selector } : {}),
          ...(argv.length ? { argv } : {}),
          ...(intervalMs !== undefined ? { intervalMs } : {}),
          ...(opts.maxDecidesPerHour !== undefined ? { maxDecidesPerHour: parseIntOption("--max-decides-per-hour", opts.maxDecidesPerHour, 1, 100_000) } : {}),
        },
        "pulse configure",
      );
      const s = await (await connect(ctx, cmd)).post("/v1/pulse/configure", body, PulseStatus);
      if (opts.json) return writeJson(io.stdout, PulseStatus, s);
      writeLine(io.stdout, statusText(s, io.now()));
    });
}
