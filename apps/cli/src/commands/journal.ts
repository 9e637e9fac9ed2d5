// `muster journal`: what the pulse did and why, one line per entry; -f follows new entries.
import { JournalList, type JournalEntry } from "@muster/protocol";
import type { Command } from "commander";
import { writeJson, writeJsonLine, writeLine } from "../output.js";
import { connect, type Ctx, examples, parseIntOption } from "./_context.js";

const line = (e: JournalEntry) => `${e.at} ${e.kind.padEnd(7)} ${e.text}${e.decisionId ? ` (${e.decisionId})` : ""}`;

export function register(program: Command, ctx: Ctx): void {
  const { io } = ctx;
  program
    .command("journal")
    .description("the pulse's journal: its moves, failures, gates and what people told it")
    .option("-f, --follow", "keep printing new entries")
    .option("--limit <n>", "how many recent entries (default 50)")
    .option("--json", "print the JournalList as JSON (with -f: one entry per line)")
    .addHelpText("after", examples("muster journal", "muster journal -f", "muster journal --limit 200 --json"))
    .action(async (opts: { follow?: boolean; limit?: string; json?: boolean }, cmd: Command) => {
      const limit = parseIntOption("--limit", opts.limit, 1, 1000) ?? 50;
      const client = await connect(ctx, cmd, { timeoutMs: 60_000 });
      const first = await client.get("/v1/journal", JournalList, { limit });
      if (opts.json && !opts.follow) return writeJson(io.stdout, JournalList, first);
      const print = (e: JournalEntry) => (opts.json ? writeJsonLine(io.stdout, JournalList.shape.entries.element, e) : writeLine(io.stdout, line(e)));
      first.entries.forEach(print);
      if (!opts.follow) return;
      let after = first.entries.at(-1)?.id ?? 0;
      for (;;) {
        const next = await client.get("/v1/journal", JournalList, { after, limit: 1000, waitMs: 25_000 });
        next.entries.forEach(print);
        after = next.entries.at(-1)?.id ?? after;
      }
    });
}
