import { existsSync, mkdtempSync, statSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalResponse } from "@muster/protocol";
import { silentLogger } from "../log.js";
import type { AskRecordBody } from "./channel.js";
import { AskHub } from "./hub.js";
import { MAX_SOCKET_PATH_BYTES } from "./socket-path.js";

/** A raw client of a claim's socket: writes lines, reads responses in order. */
class LocalClient {
  private readonly lines: string[] = [];
  private buffered = "";
  ended = false;
  private constructor(readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffered += chunk;
      const parts = this.buffered.split("\n");
      this.buffered = parts.pop()!;
      this.lines.push(...parts);
    });
    socket.on("close", () => (this.ended = true));
    socket.on("error", () => undefined);
  }

  static open(path: string): Promise<LocalClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path, () => resolve(new LocalClient(socket)));
      socket.once("error", reject);
    });
  }

  send(body: unknown): void {
    this.socket.write(`${typeof body === "string" ? body : JSON.stringify(body)}\n`);
  }

  async next(): Promise<LocalResponse> {
    await expect.poll(() => this.lines.length, { timeout: 3000, interval: 5 }).toBeGreaterThan(0);
    return LocalResponse.parse(JSON.parse(this.lines.shift()!));
  }

  pending(): number {
    return this.lines.length;
  }
}

let dataDir: string;
let hub: AskHub;
let records: AskRecordBody[];
let env: Record<string, string>;

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "muster-hub-"));
  let n = 0;
  hub = new AskHub({ dataDir, claimDir: (id) => join(dataDir, "claims", id), log: silentLogger(), newAskId: () => `ask_${++n}` });
  records = [];
  env = await hub.open("clm_1", (r) => (records.push(r), true));
});
afterEach(() => hub.closeAll());

const secret = () => env.MUSTER_ASK_SECRET!;

describe("a claim's local endpoint", () => {
  it("is a short socket path only its user can open, with a fresh secret per claim", async () => {
    const path = env.MUSTER_ASK_SOCKET!;
    expect(path.startsWith(join(dataDir, "s"))).toBe(true);
    expect(Buffer.byteLength(path)).toBeLessThan(MAX_SOCKET_PATH_BYTES);
    expect(statSync(path).isSocket()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(secret().length).toBeGreaterThanOrEqual(40);
    const other = await hub.open("clm_2", () => true);
    expect(other.MUSTER_ASK_SECRET).not.toBe(secret());
    expect(other.MUSTER_ASK_SOCKET).not.toBe(path);
  });

  it("answers an ask once the answer comes in, and lists it as waiting until then", async () => {
    const client = await LocalClient.open(env.MUSTER_ASK_SOCKET!);
    client.send({ op: "ask", secret: secret(), question: "ok?", options: ["yes", "no"] });
    await expect.poll(() => hub.report("clm_1").waitingAsks).toEqual(["ask_1"]);
    expect(records).toEqual([{ kind: "ask", askId: "ask_1", question: "ok?", options: ["yes", "no"], gate: null }]);
    expect(client.pending()).toBe(0);
    hub.answered({ askId: "ask_1", claimId: "clm_1", answer: "yes", answeredBy: "ana" });
    expect(await client.next()).toEqual({ op: "answer", askId: "ask_1", answer: "yes", answeredBy: "ana" });
    expect(hub.report("clm_1").waitingAsks).toEqual([]);
  });

  it("refuses a wrong secret", async () => {
    const client = await LocalClient.open(env.MUSTER_ASK_SOCKET!);
    client.send({ op: "ask", secret: "guess", question: "ok?" });
    expect(await client.next()).toMatchObject({ op: "error", code: "unauthorized" });
    await expect.poll(() => client.ended).toBe(true);
    expect(records).toEqual([]);
  });

  it("answers bad input with an error and keeps serving", async () => {
    const client = await LocalClient.open(env.MUSTER_ASK_SOCKET!);
    client.send("not json");
    expect(await client.next()).toMatchObject({ op: "error", code: "bad_request" });
    client.send({ op: "launch", secret: secret() });
    expect(await client.next()).toMatchObject({ op: "error", code: "bad_request" });
    client.send({ op: "ask", secret: secret(), question: "" });
    expect(await client.next()).toMatchObject({ op: "error", code: "bad_request", message: expect.stringContaining("question") });
    client.send({ op: "told", secret: secret() });
    expect(await client.next()).toEqual({ op: "told", messages: [] });
  });

  it("refuses a request line without an end", async () => {
    const client = await LocalClient.open(env.MUSTER_ASK_SOCKET!);
    client.socket.write("x".repeat(300 * 1024));
    expect(await client.next()).toMatchObject({ op: "error", code: "too_large" });
  });

  it("hands out tells at most once", async () => {
    hub.told({ tellId: "tel_1", claimId: "clm_1", text: "use the staging db", from: "ana" });
    hub.told({ tellId: "tel_1", claimId: "clm_1", text: "use the staging db", from: "ana" });
    expect(hub.report("clm_1").tellsReceived).toEqual(["tel_1"]);
    const client = await LocalClient.open(env.MUSTER_ASK_SOCKET!);
    client.send({ op: "told", secret: secret() });
    expect(await client.next()).toEqual({ op: "told", messages: [{ text: "use the staging db", from: "ana" }] });
    client.send({ op: "told", secret: secret() });
    expect(await client.next()).toEqual({ op: "told", messages: [] });
    expect(existsSync(join(dataDir, "claims", "clm_1", "tells.json"))).toBe(true);
  });

  it("tells a waiting asker the claim ended, then removes the socket", async () => {
    const client = await LocalClient.open(env.MUSTER_ASK_SOCKET!);
    client.send({ op: "ask", secret: secret(), question: "ok?" });
    await expect.poll(() => hub.report("clm_1").waitingAsks).toHaveLength(1);
    hub.close("clm_1");
    expect(await client.next()).toMatchObject({ op: "error", code: "claim_ended" });
    await expect.poll(() => existsSync(env.MUSTER_ASK_SOCKET!)).toBe(false);
    expect(hub.report("clm_1")).toEqual({ waitingAsks: [], tellsReceived: [] });
  });

  it("serves gates through the same asks", async () => {
    const gate = hub.ask("clm_1", { question: "merge?", options: ["yes", "no"], gate: "done" });
    expect(records.at(-1)).toMatchObject({ kind: "ask", gate: "done" });
    hub.answered({ askId: "ask_1", claimId: "clm_1", answer: "no", answeredBy: "bo" });
    await expect(gate).resolves.toEqual({ askId: "ask_1", answer: "no", answeredBy: "bo" });
  });
});
