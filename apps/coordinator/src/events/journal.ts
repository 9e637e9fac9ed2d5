// Every change the coordinator commits, told once: as a `history` debug log line (for operators and the chaos
// checker) and on the in-process bus (for log followers, the scheduler and the console).
import type { FailureReason, NodeState, TaskState } from "@muster/protocol";
import type { Logger } from "../log.js";
import type { EventBus } from "./bus.js";

interface ClaimIds {
  taskId: string;
  claimId: string;
  token: number;
  nodeId: string;
}

export class Journal {
  readonly #log: Logger;
  constructor(
    log: Logger,
    readonly bus: EventBus,
  ) {
    this.#log = log.child({ component: "history" });
  }

  #write(ev: string, fields: object): void {
    this.#log.debug({ ev, ...fields }, "history");
  }

  submitted(taskId: string): void {
    this.#write("submit", { taskId });
    this.taskState(taskId, "queued", null);
  }

  offered(c: ClaimIds): void {
    this.#write("offer", c);
    this.taskState(c.taskId, "assigned", c.claimId);
  }

  accepted(c: ClaimIds): void {
    this.#write("accept", c);
  }

  recordsStored(c: ClaimIds, fromSeq: number, toSeq: number): void {
    this.#write("records", { ...c, fromSeq, toSeq });
    this.bus.emit("task.records", { taskId: c.taskId, claimId: c.claimId });
  }

  resultStored(c: ClaimIds, r: { status: string; reason: FailureReason | null; exitCode: number | null }): void {
    this.#write("result", { ...c, ...r });
  }

  /** A message from a claim that is not current: nothing in it was stored. */
  refused(c: ClaimIds, type: string): void {
    this.#write("refused", { ...c, type });
  }

  expired(c: ClaimIds, reason: string): void {
    this.#write("expire", { ...c, reason });
  }

  taskState(taskId: string, state: TaskState, claimId: string | null): void {
    this.#write("state", { taskId, state, claimId });
    this.bus.emit("task.changed", { taskId, state });
  }

  ask(a: { askId: string; taskId: string; claimId: string; state: string }): void {
    this.#write("ask", a);
    this.bus.emit("ask.changed", { askId: a.askId, taskId: a.taskId, state: a.state });
  }

  nodeState(nodeId: string, state: NodeState): void {
    this.#write("node", { nodeId, state });
    this.bus.emit("node.changed", { nodeId, state });
  }
}
