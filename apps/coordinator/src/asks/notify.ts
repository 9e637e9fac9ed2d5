// Tells someone a worker is waiting: a command (the ask as JSON on stdin) and/or a webhook signed with HMAC-SHA256.
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import type { AskView } from "@muster/protocol";
import type { Logger } from "../log.js";

export interface NotifyOptions {
  command?: string | undefined;
  webhook?: string | undefined;
  /** Key for the `X-Muster-Signature: sha256=<hex>` header of webhook calls. */
  secret?: string | undefined;
  timeoutMs?: number;
}

export const SIGNATURE_HEADER = "x-muster-signature";

export function sign(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export class AskNotifier {
  constructor(
    private readonly opts: NotifyOptions,
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return Boolean(this.opts.command || this.opts.webhook);
  }

  /** Fires every hook for a new ask; failures are logged, never thrown. */
  notify(ask: AskView): Promise<void> {
    const body = JSON.stringify({ event: "ask.created", ask });
    const jobs: Promise<void>[] = [];
    if (this.opts.command) jobs.push(this.#runCommand(this.opts.command, body, ask));
    if (this.opts.webhook) jobs.push(this.#callWebhook(this.opts.webhook, body, ask));
    return Promise.all(jobs).then(() => undefined);
  }

  #runCommand(command: string, body: string, ask: AskView): Promise<void> {
    return new Promise((resolve) => {
      const child = spawn("sh", ["-c", command], {
        stdio: ["pipe", "ignore", "pipe"],
        env: { PATH: process.env.PATH, HOME: process.env.HOME, MUSTER_ASK_ID: ask.id, MUSTER_TASK_ID: ask.taskId },
      });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString().slice(0, 2000)));
      const timer = setTimeout(() => child.kill("SIGKILL"), this.opts.timeoutMs ?? 10_000);
      child.on("error", (err) => this.log.warn({ err, askId: ask.id }, "notify command failed to start"));
      child.on("close", (code) => {
        clearTimeout(timer);
        if (code !== 0) this.log.warn({ askId: ask.id, code, stderr }, "notify command failed");
        resolve();
      });
      // A command may exit without reading the ask; that is not an error.
      child.stdin.on("error", () => undefined);
      child.stdin.end(body);
    });
  }

  async #callWebhook(url: string, body: string, ask: AskView): Promise<void> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.opts.secret) headers[SIGNATURE_HEADER] = sign(body, this.opts.secret);
    try {
      const res = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
      if (!res.ok) this.log.warn({ askId: ask.id, status: res.status }, "notify webhook refused the ask");
    } catch (err) {
      this.log.warn({ err, askId: ask.id }, "notify webhook failed");
    }
  }
}
