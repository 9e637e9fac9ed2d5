import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AskView } from "@muster/protocol";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { AskNotifier, sign, SIGNATURE_HEADER } from "./notify.js";

const ask: AskView = {
  id: "ask_1",
  taskId: "tsk_1",
  claimId: "clm_1",
  nodeId: "nod_1",
  nodeName: "n1",
  question: "merge?",
  options: ["yes", "no"],
  gate: "merge",
  state: "pending",
  answer: null,
  answeredBy: null,
  createdAt: new Date(0).toISOString(),
  answeredAt: null,
};
const log = pino({ level: "silent" });
const dir = mkdtempSync(join(tmpdir(), "muster-notify-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ask notifications", () => {
  it("runs the command with the ask as JSON on stdin", async () => {
    const out = join(dir, "ask.json");
    await new AskNotifier({ command: `{ cat; echo; echo "$MUSTER_ASK_ID"; } > ${out}` }, log).notify(ask);
    const [json, id] = readFileSync(out, "utf8").trim().split("\n");
    expect(JSON.parse(json!)).toEqual({ event: "ask.created", ask });
    expect(id).toBe("ask_1");
  });

  it("posts the ask to the webhook with an HMAC signature of the body", async () => {
    const got: { body: string; signature: string | undefined }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        got.push({ body, signature: req.headers[SIGNATURE_HEADER] as string | undefined });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    try {
      const secret = "a-secret-of-sixteen+";
      await new AskNotifier({ webhook: `http://127.0.0.1:${port}/hook`, secret }, log).notify(ask);
      expect(got).toHaveLength(1);
      expect(JSON.parse(got[0]!.body).ask.id).toBe("ask_1");
      expect(got[0]!.signature).toBe(sign(got[0]!.body, secret));
      expect(got[0]!.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    } finally {
      server.close();
    }
  });

  it("survives a webhook that is down and a command that fails", async () => {
    const n = new AskNotifier({ webhook: "http://127.0.0.1:1/none", command: "exit 3", timeoutMs: 2000 }, log);
    await expect(n.notify(ask)).resolves.toBeUndefined();
  });
});
