import { describe, expect, it, vi } from "vitest";
import { silentLogger } from "../log.js";
import type { AskRecordBody } from "./channel.js";
import { AskExpiredError, AskRelay, ClaimEndedError, MAX_OPEN_ASKS, TooManyAsksError } from "./relay.js";

function relay() {
  let n = 0;
  const r = new AskRelay({ log: silentLogger(), newId: () => `ask_${++n}` });
  const records: AskRecordBody[] = [];
  r.open("clm_1", (record) => (records.push(record), true));
  return { r, records };
}

const q = (question = "ship it?") => ({ question, options: ["yes", "no"], gate: null });
const answer = (askId: string, text = "yes", claimId = "clm_1") => ({ askId, claimId, answer: text, answeredBy: "ana" });

describe("ask relay", () => {
  it("records the ask in the claim's stream and settles with its answer, applied once", async () => {
    const { r, records } = relay();
    const asked = r.ask("clm_1", q());
    expect(records).toEqual([{ kind: "ask", askId: "ask_1", question: "ship it?", options: ["yes", "no"], gate: null }]);
    expect(r.waiting("clm_1")).toEqual(["ask_1"]);
    expect(r.answer(answer("ask_1"))).toBe(true);
    await expect(asked).resolves.toEqual({ askId: "ask_1", answer: "yes", answeredBy: "ana" });
    // The same answer again, from the next heartbeat ack, changes nothing.
    expect(r.answer(answer("ask_1", "no"))).toBe(false);
    expect(r.waiting("clm_1")).toEqual([]);
  });

  it("ignores an answer naming another claim", () => {
    const { r } = relay();
    void r.ask("clm_1", q());
    expect(r.answer(answer("ask_1", "yes", "clm_2"))).toBe(false);
    expect(r.waiting("clm_1")).toEqual(["ask_1"]);
  });

  it("keeps an ask whose asker went away open, and hands its answer to the same ask made again", async () => {
    const { r, records } = relay();
    const gone = new AbortController();
    const first = r.ask("clm_1", q(), gone.signal);
    gone.abort();
    await expect(first).rejects.toThrow();
    expect(r.waiting("clm_1")).toEqual(["ask_1"]);
    expect(r.answer(answer("ask_1", "no"))).toBe(true);
    expect(r.waiting("clm_1")).toEqual([]);
    await expect(r.ask("clm_1", q())).resolves.toMatchObject({ askId: "ask_1", answer: "no" });
    expect(records).toHaveLength(1);
    // Taken: a third identical ask is a new one.
    void r.ask("clm_1", q());
    expect(records.map((x) => x.askId)).toEqual(["ask_1", "ask_2"]);
  });

  it("rejects waiting asks when the claim ends, and asks for a claim it does not hold", async () => {
    const { r } = relay();
    const asked = r.ask("clm_1", q());
    r.close("clm_1");
    await expect(asked).rejects.toBeInstanceOf(ClaimEndedError);
    await expect(r.ask("clm_1", q())).rejects.toBeInstanceOf(ClaimEndedError);
    await expect(r.ask("clm_9", q())).rejects.toMatchObject({ code: "claim_ended" });
    expect(r.answer(answer("ask_1"))).toBe(false);
  });

  it("rejects an ask the claim's stream no longer takes", async () => {
    const r = new AskRelay({ log: silentLogger() });
    r.open("clm_1", () => false);
    await expect(r.ask("clm_1", q())).rejects.toBeInstanceOf(ClaimEndedError);
    expect(r.waiting("clm_1")).toEqual([]);
  });

  it("bounds the unanswered asks of one claim", async () => {
    const { r } = relay();
    for (let i = 0; i < MAX_OPEN_ASKS; i++) void r.ask("clm_1", q(`question ${i}`));
    await expect(r.ask("clm_1", q("one more"))).rejects.toBeInstanceOf(TooManyAsksError);
    expect(r.waiting("clm_1")).toHaveLength(MAX_OPEN_ASKS);
  });

  it("makes ids the protocol accepts", () => {
    const r = new AskRelay({ log: silentLogger() });
    const records: AskRecordBody[] = [];
    r.open("clm_1", (record) => (records.push(record), true));
    void r.ask("clm_1", q());
    expect(records[0]!.askId).toMatch(/^ask_[A-Za-z0-9_-]{16}$/);
  });
});

describe("tool asks", () => {
  const toolAsk = { question: "Allow Bash: ls", options: ["allow", "deny", "allow-for-task"], gate: null, tool: { name: "Bash", input: { command: "ls" }, diff: null } };

  it("records the tool call and its deadline, and hands back the answer's reason", async () => {
    const records: AskRecordBody[] = [];
    const r = new AskRelay({ log: silentLogger(), newId: () => "ask_t", now: () => 1_000 });
    r.open("clm_1", (record) => (records.push(record), true));
    const asked = r.ask("clm_1", { ...toolAsk, timeoutMs: 60_000 });
    expect(records[0]).toMatchObject({ askId: "ask_t", tool: { name: "Bash", input: { command: "ls" } }, expiresAt: 61_000 });
    r.answer({ askId: "ask_t", claimId: "clm_1", answer: "deny", answeredBy: "ana", reason: "not now" });
    await expect(asked).resolves.toEqual({ askId: "ask_t", answer: "deny", answeredBy: "ana", reason: "not now" });
    r.close("clm_1");
  });

  it("expires an unanswered ask at its deadline: the asker is refused and the ask is no longer waiting", async () => {
    vi.useFakeTimers();
    try {
      const { r } = relay();
      const asked = r.ask("clm_1", { ...toolAsk, timeoutMs: 5_000 });
      const refused = expect(asked).rejects.toBeInstanceOf(AskExpiredError);
      vi.advanceTimersByTime(4_999);
      expect(r.waiting("clm_1")).toEqual(["ask_1"]);
      vi.advanceTimersByTime(1);
      await refused;
      expect(r.waiting("clm_1")).toEqual([]);
      // An answer that comes after the deadline is not applied.
      expect(r.answer(answer("ask_1", "allow"))).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
