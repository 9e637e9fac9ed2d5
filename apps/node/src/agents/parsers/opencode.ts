// OpenCode `run --format json` (fixtures/agents/README.md, opencode section). Each step reports its own cost
// and tokens, summed here into running totals. There is no result line: `done` (newer builds) or the end
// of the process closes the run.
import { CostTotals, count, num, obj, str, type JsonObject } from "./fields.js";
import type { FormatHandler, ParsedRecord, ProcessEnd } from "./record.js";

export function opencodeJson(): FormatHandler {
  const totals = new CostTotals();
  let steps = 0;
  let lastText = "";
  let error: string | null = null;
  let seen = false;
  let summarized = false;

  const summary = (ok: boolean): ParsedRecord[] => {
    if (summarized || !seen) return [];
    summarized = true;
    return [{ kind: "summary", text: error ?? lastText, ok: ok && error === null, turns: steps }];
  };

  return {
    event(e) {
      const part = obj(e.part);
      // Every opencode line has a type; a stray `{}` is not a sign that a run happened.
      if (typeof e.type === "string") seen = true;
      switch (e.type) {
        case "text": {
          const text = str(part?.text);
          if (!text) return [];
          lastText = text;
          return [{ kind: "message", role: "assistant", text }];
        }
        case "tool_use":
          return part ? toolUse(part) : [];
        case "step_finish": {
          steps += 1;
          const usd = num(part?.cost);
          // Without a price the step's tokens stay out of the totals too: a cost record must carry USD.
          if (usd === undefined || usd < 0) return [];
          totals.add({ usd, ...stepTokens(obj(part?.tokens)) });
          return [totals.record()];
        }
        case "error": {
          const err = obj(e.error);
          error = str(obj(err?.data)?.message) ?? str(err?.name) ?? "session error";
          return [{ kind: "message", role: "system", text: error }];
        }
        case "done":
          return summary(true);
        default:
          // step_start, reasoning and whatever later releases add.
          return [];
      }
    },
    // Without a done line the end of the process closes the run, unless the node cut it short.
    end: ({ exitCode, stopped }: ProcessEnd) => (stopped || exitCode === null ? [] : summary(exitCode === 0)),
  };
}

/** A call is printed once, when it has finished, so its call and result come from the same line. */
function toolUse(part: JsonObject): ParsedRecord[] {
  const name = str(part.tool);
  const state = obj(part.state);
  if (!name || !state) return [];
  const callId = str(part.callID) ?? null;
  const call: ParsedRecord = { kind: "tool_call", callId, name, input: state.input ?? null };
  if (state.status === "error") return [call, { kind: "tool_result", callId, ok: false, output: str(state.error) ?? "" }];
  if (state.status !== "completed") return [call];
  // A failing bash command is still status "completed"; its exit code says it failed.
  const exit = num(obj(state.metadata)?.exit);
  return [call, { kind: "tool_result", callId, ok: exit === undefined || exit === 0, output: str(state.output) ?? "" }];
}

/** `input` excludes cached tokens; reasoning tokens are billed as output. */
function stepTokens(tokens: JsonObject | undefined) {
  const cache = obj(tokens?.cache);
  return {
    inputTokens: count(tokens?.input) ?? 0,
    outputTokens: (count(tokens?.output) ?? 0) + (count(tokens?.reasoning) ?? 0),
    cacheReadTokens: count(cache?.read) ?? 0,
    cacheWriteTokens: count(cache?.write) ?? 0,
  };
}
