// `muster sensor`: commands the pulse runs on the fleet to watch the world; each prints one JSON object.
import { parseDuration, SensorDropped, SensorList, SensorName, SensorView, WriteSensorRequest } from "@muster/protocol";
import type { Command } from "commander";
import { seg } from "../client.js";
import { usageError } from "../errors.js";
import { formatTable } from "../format/table.js";
import { agoSince } from "../format/time.js";
import { writeJson, writeLine } from "../output.js";
import { connect, type Ctx, examples } from "./_context.js";
import { checked } from "./_pulse-input.js";

interface WriteOptions {
  every?: string;
  selector?: string;
  timeout?: string;
  json?: boolean;
}

function duration(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw usageError(`${flag}: ${(err as Error).message}`);
  }
}

function lastReading(s: SensorView, now: number): string {
  if (!s.last) return s.runningTaskId ? "reading..." : "no reading yet";
  const body = s.last.ok ? JSON.stringify(s.last.signal) : `FAILED: ${s.last.error ?? ""}`;
  return `${agoSince(s.last.takenAt, now)}: ${body.slice(0, 80)}${s.flapping ? " (flapping)" : ""}`;
}

export function register(program: Command, ctx: Ctx): void {
  const { io } = ctx;
  const sensor = program
    .command("sensor")
    .description("the pulse's sensors: commands run on the fleet that print one JSON object")
    .addHelpText("after", examples("muster sensor write ci --every 5m -- ./ci-status.sh", "muster sensor ls", "muster sensor drop ci"));

  sensor
    .command("write")
    .description("create or replace a sensor; its `signal` field (or the whole object) is what counts as a change")
    .addHelpText("after", examples("muster sensor write ci --every 5m -- ./ci-status.sh", "muster sensor write disk --every 1m --selector role=db --timeout 10s -- sh -c \"df --output=pcent / | tail -1\""))
    .argument("<name>", "sensor name")
    .argument("<argv...>", "the command, after --")
    .requiredOption("--every <duration>", "how often it runs, e.g. 30s, 5m")
    .option("--selector <selector>", "run it on nodes matching these labels")
    .option("--timeout <duration>", "time limit per reading (default 60s)")
    .option("--json", "print the SensorView as JSON")
    .action(async (name: string, argv: string[], opts: WriteOptions, cmd: Command) => {
      const sensorName = checked(SensorName, name, "sensor name");
      const body = checked(
        WriteSensorRequest,
        {
          argv,
          everyMs: duration("--every", opts.every!),
          ...(opts.selector !== undefined ? { selector: opts.selector } : {}),
          ...(opts.timeout !== undefined ? { timeoutMs: duration("--timeout", opts.timeout) } : {}),
        },
        "sensor",
      );
      const view = await (await connect(ctx, cmd)).post(`/v1/sensors/${seg(sensorName)}`, body, SensorView);
      if (opts.json) return writeJson(io.stdout, SensorView, view);
      writeLine(io.stdout, `wrote sensor ${view.name}`);
    });

  sensor
    .command("ls", { isDefault: true })
    .alias("list")
    .description("list sensors with their last reading")
    .addHelpText("after", examples("muster sensor ls"))
    .option("--json", "print the SensorList as JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const list = await (await connect(ctx, cmd)).get("/v1/sensors", SensorList);
      if (opts.json) return writeJson(io.stdout, SensorList, list);
      const rows = list.sensors.map((s) => [s.name, `${Math.round(s.everyMs / 1000)}s`, s.selector || "-", lastReading(s, io.now())]);
      writeLine(io.stdout, rows.length ? formatTable(["NAME", "EVERY", "SELECTOR", "LAST READING"], rows) : "no sensors");
    });

  sensor
    .command("show")
    .description("show a sensor and its last reading")
    .addHelpText("after", examples("muster sensor show ci"))
    .argument("<name>", "sensor name")
    .option("--json", "print the SensorView as JSON")
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      const s = await (await connect(ctx, cmd)).get(`/v1/sensors/${seg(checked(SensorName, name, "sensor name"))}`, SensorView);
      if (opts.json) return writeJson(io.stdout, SensorView, s);
      writeLine(io.stdout, `${s.name}: ${s.argv.join(" ")}\nevery ${Math.round(s.everyMs / 1000)}s, timeout ${Math.round(s.timeoutMs / 1000)}s, selector ${s.selector || "-"}`);
      writeLine(io.stdout, `last reading: ${lastReading(s, io.now())}`);
      if (s.last?.ok && s.last.detail !== null) writeLine(io.stdout, `detail: ${JSON.stringify(s.last.detail)}`);
    });

  sensor
    .command("drop")
    .description("remove a sensor")
    .addHelpText("after", examples("muster sensor drop ci"))
    .argument("<name>", "sensor name")
    .option("--json", "print {name, dropped} as JSON")
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      const client = await connect(ctx, cmd);
      const res = await client.delete(`/v1/sensors/${seg(checked(SensorName, name, "sensor name"))}`, SensorDropped);
      if (opts.json) return writeJson(io.stdout, SensorDropped, res);
      writeLine(io.stdout, `dropped sensor ${res.name}`);
    });
}
