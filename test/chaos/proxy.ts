// A TCP proxy for one node's link to the coordinator, so a test can cut, stall, slow down and heal it.
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";

export type LinkMode = "open" | "cut" | "stalled";

/** One direction of a proxied connection: chunks wait out the link's delay, in order, and stop while stalled. */
class Pipe {
  private readonly queue: { due: number; chunk: Buffer }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly link: LinkProxy,
  ) {
    from.on("data", (chunk: Buffer) => {
      this.queue.push({ due: performance.now() + link.delayMs, chunk });
      // Stop reading while stalled so a long stall backs up into TCP instead of memory.
      if (link.mode === "stalled") from.pause();
      this.pump();
    });
    // A half-close is passed on once the data before it has gone through.
    from.on("end", () => {
      this.ended = true;
      this.pump();
    });
  }

  pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.link.mode !== "open" || this.to.destroyed) return;
    if (this.from.isPaused()) this.from.resume();
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.due <= now) this.to.write(this.queue.shift()!.chunk);
    const head = this.queue[0];
    if (head) this.timer = setTimeout(() => this.pump(), Math.max(1, head.due - now));
    else if (this.ended) this.to.end();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
  }
}

class Pair {
  private readonly pipes: Pipe[];

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    link: LinkProxy,
  ) {
    this.pipes = [new Pipe(client, upstream, link), new Pipe(upstream, client, link)];
  }

  pump(): void {
    for (const p of this.pipes) p.pump();
  }

  destroy(): void {
    for (const p of this.pipes) p.stop();
    this.client.destroy();
    this.upstream.destroy();
  }
}

/**
 * Sits between one node and the coordinator. `cut` drops every connection and refuses new ones; `stall` keeps
 * sockets open but forwards nothing either way (a silent partition); `delay` adds latency per direction.
 */
export class LinkProxy {
  mode: LinkMode = "open";
  delayMs = 0;
  private readonly pairs = new Set<Pair>();
  private server: Server | null = null;
  private port = 0;
  /** Every mode change with its time, for reports. */
  readonly changes: { at: number; mode: LinkMode; delayMs: number }[] = [];

  constructor(
    readonly name: string,
    private target: { host: string; port: number },
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Points the link at a coordinator that came back on another port. */
  retarget(target: { host: string; port: number }): void {
    this.target = target;
  }

  cut(): void {
    this.setMode("cut");
    for (const p of this.pairs) p.destroy();
    this.pairs.clear();
  }

  stall(): void {
    this.setMode("stalled");
  }

  delay(ms: number): void {
    this.delayMs = ms;
    this.changes.push({ at: Date.now(), mode: this.mode, delayMs: ms });
  }

  restore(): void {
    this.delayMs = 0;
    this.setMode("open");
    for (const p of this.pairs) p.pump();
  }

  get connections(): number {
    return this.pairs.size;
  }

  async close(): Promise<void> {
    for (const p of this.pairs) p.destroy();
    this.pairs.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private setMode(mode: LinkMode): void {
    this.mode = mode;
    this.changes.push({ at: Date.now(), mode, delayMs: this.delayMs });
  }

  private accept(client: Socket): void {
    if (this.mode === "cut") {
      client.resetAndDestroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = connect({ host: this.target.host, port: this.target.port });
    upstream.setNoDelay(true);
    const pair = new Pair(client, upstream, this);
    this.pairs.add(pair);
    const drop = () => {
      if (this.pairs.delete(pair)) pair.destroy();
    };
    // Either side failing (e.g. the coordinator is down) ends the whole connection, as a real hop would; a clean
    // close ends it once both sides have closed.
    let closed = 0;
    for (const s of [client, upstream]) {
      s.on("error", drop);
      s.on("close", () => {
        closed += 1;
        if (closed === 2) drop();
      });
    }
  }
}
