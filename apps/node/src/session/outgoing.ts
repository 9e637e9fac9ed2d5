// Frames the node sends: encoded and checked against the protocol catalog, each with a fresh message id
// where a reply is owed. A frame that fails its own schema is logged and not sent; nothing here throws.
import type { z } from "zod";
import { encodeFrame, NodeToCoordinator } from "@muster/protocol";
import type { Logger } from "../log.js";
import type { PumpFrame } from "./pump.js";

type NodeCatalog = typeof NodeToCoordinator;
export type NodeFrameType = keyof NodeCatalog & string;
export type FrameIds = { id?: string; re?: string };

export class OutgoingFrames {
  private count = 0;

  constructor(
    /** Puts text on the socket; false when there is no socket or it is full. */
    private readonly write: (text: string) => boolean,
    private readonly log: Logger,
  ) {}

  nextId(): string {
    this.count += 1;
    return `n${this.count}`;
  }

  send<K extends NodeFrameType>(type: K, payload: z.input<NodeCatalog[K]>, ids: FrameIds = {}): boolean {
    let text: string;
    try {
      text = encodeFrame(NodeToCoordinator, type, payload, ids);
    } catch (err) {
      this.log.error({ err, type }, "not sending an invalid frame");
      return false;
    }
    return this.write(text);
  }

  /** A frame from the event pump; each asks for an ack. */
  sendPumped(frame: PumpFrame): boolean {
    const ids = { id: this.nextId() };
    return frame.type === "claim.events"
      ? this.send("claim.events", frame.payload, ids)
      : this.send("claim.done", frame.payload, ids);
  }
}
