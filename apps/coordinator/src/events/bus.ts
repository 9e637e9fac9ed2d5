// In-process event bus: wakes log followers, the scheduler and (later) the console's SSE stream.
import { EventEmitter } from "node:events";
import type { NodeState, TaskState } from "@muster/protocol";

export interface BusEvents {
  "task.changed": { taskId: string; state: TaskState };
  "task.records": { taskId: string; claimId: string };
  "node.changed": { nodeId: string; state: NodeState };
  "ask.changed": { askId: string; taskId: string; state: string };
  "joinkey.changed": { joinKeyId: string; state: "active" | "expired" | "exhausted" | "revoked" };
  /** An API token was revoked: its open event streams are closed, so consoles signed in with it notice at once. */
  "token.revoked": { tokenId: string };
  /** Something changed that may let queued tasks be placed. */
  "placement.wanted": { why: string };
}

export class EventBus {
  readonly #emitter = new EventEmitter();
  constructor() {
    this.#emitter.setMaxListeners(0);
  }
  emit<K extends keyof BusEvents>(type: K, event: BusEvents[K]): void {
    this.#emitter.emit(type, event);
  }
  on<K extends keyof BusEvents>(type: K, fn: (event: BusEvents[K]) => void): () => void {
    this.#emitter.on(type, fn);
    return () => this.#emitter.off(type, fn);
  }
}
