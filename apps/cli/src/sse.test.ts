import { describe, expect, it } from "vitest";
import { readSse, SseParser } from "./sse.js";

describe("SseParser", () => {
  it("yields events with their name, id and data, and skips comments", () => {
    const p = new SseParser();
    const events = p.push(': ping\n\nevent: log\nid: 1:1\ndata: {"a":1}\n\nevent: end\ndata: {}\n\n');
    expect(events).toEqual([
      { event: "log", id: "1:1", data: '{"a":1}' },
      { event: "end", id: "1:1", data: "{}" },
    ]);
  });

  it("joins multi-line data and handles events split across chunks and CRLF", () => {
    const p = new SseParser();
    expect(p.push("data: a\r")).toEqual([]);
    expect(p.push("\ndata: b\r\n")).toEqual([]);
    expect(p.push("\r\n")).toEqual([{ event: "message", id: undefined, data: "a\nb" }]);
  });
});

describe("readSse", () => {
  it("reads events from a byte stream cut at arbitrary points", async () => {
    const text = "event: log\nid: 1:2\ndata: x\n\n: ping\n\nevent: end\ndata: y\n\n";
    const bytes = new TextEncoder().encode(text);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 3) controller.enqueue(bytes.slice(i, i + 3));
        controller.close();
      },
    });
    const seen = [];
    for await (const ev of readSse(stream)) seen.push(ev);
    expect(seen.map((e) => [e.event, e.data])).toEqual([
      ["log", "x"],
      ["end", "y"],
    ]);
  });
});
