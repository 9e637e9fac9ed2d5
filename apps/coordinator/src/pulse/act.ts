// Acting: a stored decision is carried out in one transaction with marking it done, so a crash before or after
// leaves it exactly once. A gated move first becomes an approval ask and runs only on "yes".
import { PulseMove } from "@muster/protocol";
import { and, eq, inArray, isNotNull } from "drizzle-orm";
import type { AskRow } from "../asks/asks.js";
import { MusterError } from "../errors.js";
import type { Tx } from "../store/db.js";
import { asks, decisions } from "../store/schema.js";
import { failBeat, type BeatOptions } from "./decide.js";
import { gateReason } from "./gates.js";
import { noEffects, performMove, type MoveEffects } from "./moves.js";
import { appendJournal, readPulse, updatePulse } from "./store.js";
import { hashAfterMove } from "./world.js";

export type ActOutcome =
  | { kind: "done"; effects: MoveEffects }
  | { kind: "gated"; ask: AskRow }
  | { kind: "failed"; error: string }
  | { kind: "skipped" };

export const GATE_ANSWERS = ["yes", "no"];

export async function openDecisions(tx: Tx): Promise<string[]> {
  const rows = await tx.select({ id: decisions.id }).from(decisions).where(eq(decisions.state, "decided")).orderBy(decisions.createdAt);
  return rows.map((r) => r.id);
}

export async function actOn(tx: Tx, decisionId: string, now: Date, gates: readonly RegExp[], opts: BeatOptions): Promise<ActOutcome> {
  const [decision] = await tx.select().from(decisions).where(eq(decisions.id, decisionId)).for("update");
  if (!decision || decision.state !== "decided") return { kind: "skipped" };
  const move = PulseMove.parse(decision.move);
  const gate = decision.askId === null ? gateReason(move, gates) : null;
  if (gate) {
    const ask = await openGate(tx, decision.id, decision.taskId ?? decision.id, move, gate, now);
    await tx.update(decisions).set({ state: "waiting", askId: ask.id }).where(eq(decisions.id, decision.id));
    await appendJournal(tx, "gate", `waiting for approval (ask ${ask.id}) of ${move.move}: ${move.journal}`, decision.id, now);
    return { kind: "gated", ask };
  }
  try {
    // A savepoint: a move that fails leaves nothing half-written, and the failure itself is still recorded.
    const effects = await tx.transaction((sp) => performMove(sp, move, decision.id, now));
    await tx
      .update(decisions)
      .set({ state: "done", doneAt: now, resultTaskId: effects.submitted[0] ?? effects.cancelled ?? effects.tell?.taskId ?? null })
      .where(eq(decisions.id, decision.id));
    await appendJournal(tx, "move", `${move.move}: ${move.journal}`, decision.id, now);
    const state = await readPulse(tx, true);
    // Only when no failure since made the pulse forget its hash (it must decide again then).
    if (state.lastHash !== null) await updatePulse(tx, { lastHash: await hashAfterMove(tx, state, now) }, now);
    return { kind: "done", effects };
  } catch (err) {
    if (!(err instanceof MusterError)) throw err;
    const error = `move ${move.move} could not be carried out: ${err.message}`;
    await tx.update(decisions).set({ state: "failed", error, doneAt: now }).where(eq(decisions.id, decision.id));
    await failBeat(tx, await readPulse(tx, true), error, decision.id, now, opts);
    return { kind: "failed", error };
  }
}

async function openGate(tx: Tx, decisionId: string, taskId: string, move: PulseMove, why: string, now: Date): Promise<AskRow> {
  const [ask] = await tx
    .insert(asks)
    .values({
      id: `ask_${decisionId.replace(/^dcs_/, "")}`,
      taskId,
      claimId: decisionId,
      nodeId: "pulse",
      question: `The pulse wants to ${describeMove(move)} (${why}). ${move.journal}. Allow it?`,
      options: GATE_ANSWERS,
      gate: "pulse",
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (ask) return ask;
  const [existing] = await tx.select().from(asks).where(eq(asks.id, `ask_${decisionId.replace(/^dcs_/, "")}`));
  return existing!;
}

function describeMove(move: PulseMove): string {
  if (move.move === "run_command") return `run ${JSON.stringify(move.command.join(" "))}`;
  if (move.move === "start_worker") return `start worker ${move.id}`;
  return move.move.replace("_", " ");
}

/** Gated decisions whose ask was answered: "yes" goes back to decided (and is carried out), anything else is refused. */
export async function settleGates(tx: Tx, now: Date): Promise<{ approved: string[]; refused: string[] }> {
  const waiting = await tx
    .select({ decision: decisions, ask: asks })
    .from(decisions)
    .innerJoin(asks, eq(asks.id, decisions.askId))
    .where(and(eq(decisions.state, "waiting"), isNotNull(decisions.askId), inArray(asks.state, ["answered", "cancelled", "expired"])));
  const out = { approved: [] as string[], refused: [] as string[] };
  for (const { decision, ask } of waiting) {
    if (ask.state === "answered" && ask.answer === "yes") {
      await tx.update(decisions).set({ state: "decided" }).where(eq(decisions.id, decision.id));
      await appendJournal(tx, "gate", `${ask.answeredBy ?? "someone"} approved the move`, decision.id, now);
      out.approved.push(decision.id);
    } else {
      const why = ask.state === "answered" ? `${ask.answeredBy ?? "someone"} answered "${ask.answer}"` : `the ask was ${ask.state}`;
      await tx.update(decisions).set({ state: "refused", error: why, doneAt: now }).where(eq(decisions.id, decision.id));
      await appendJournal(tx, "gate", `move refused: ${why}`, decision.id, now);
      out.refused.push(decision.id);
    }
  }
  return out;
}

export { noEffects };
