import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCAL_SECRET_ENV, LOCAL_SOCKET_ENV } from "@muster/protocol";
import { afterEach, describe, expect, it } from "vitest";
import type { AskRecordBody } from "../asks/channel.js";
import { AskHub } from "../asks/hub.js";
import { silentLogger } from "../log.js";
import { ToolAskError } from "./decide.js";
import { askThroughEndpoint } from "./local-client.js";

let hub: AskHub;
afterEach(async () => {
  await hub?.closeAll();
});

async function claimEndpoint() {
  const dataDir = mkdtempSync(join(tmpdir(), "muster-approvals-"));
  let n = 0;
  hub = new AskHub({ dataDir, claimDir: (id) => join(dataDir, "claims", id), log: silentLogger(), newAskId: () => `ask_${++n}` });
  const records: AskRecordBody[] = [];
  const env = await hub.open("clm_1", (r) => (records.push(r), true));
  return { endpoint: { path: env[LOCAL_SOCKET_ENV]!, secret: env[LOCAL_SECRET_ENV]! }, records };
}

const question = {
  question: "Allow Bash: ls",
  options: ["allow", "deny", "allow-for-task"],
  tool: { name: "Bash", input: { command: "ls" }, diff: null },
};

describe("asking through the claim's endpoint", () => {
  it("raises the tool ask on the node and hands back the answer with its reason", async () => {
    const { endpoint, records } = await claimEndpoint();
    const reply = askThroughEndpoint(endpoint, { ...question, timeoutMs: 60_000 });
    await expect.poll(() => records.length).toBe(1);
    expect(records[0]).toMatchObject({ askId: "ask_1", tool: question.tool, expiresAt: expect.any(Number) });
    hub.answered({ askId: "ask_1", claimId: "clm_1", answer: "deny", answeredBy: "ana", reason: "not now" });
    await expect(reply).resolves.toEqual({ answer: "deny", answeredBy: "ana", reason: "not now" });
  });

  it("fails with ask_expired when nobody answers in time, and with unauthorized for a wrong secret", async () => {
    const { endpoint } = await claimEndpoint();
    await expect(askThroughEndpoint(endpoint, { ...question, timeoutMs: 50 })).rejects.toMatchObject({ code: "ask_expired" });
    const wrong = askThroughEndpoint({ ...endpoint, secret: "nope" }, { ...question, timeoutMs: 50 });
    await expect(wrong).rejects.toBeInstanceOf(ToolAskError);
    await expect(wrong).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("fails with unreachable when the node's socket is gone", async () => {
    await expect(askThroughEndpoint({ path: join(tmpdir(), "no-such.sock"), secret: "s" }, { ...question, timeoutMs: 50 })).rejects.toMatchObject({
      code: "unreachable",
    });
  });
});
