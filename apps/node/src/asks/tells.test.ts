import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../log.js";
import { TellInbox } from "./tells.js";

let root: string;
const inbox = () => new TellInbox({ dirOf: (claimId) => join(root, claimId), log: silentLogger() });
const tell = (n: number, claimId = "clm_1") => ({ tellId: `tel_${n}`, claimId, text: `message ${n}`, from: "ana" });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "muster-tells-"));
});

describe("tell inbox", () => {
  it("hands each message out once, and an empty list when there is nothing new", () => {
    const box = inbox();
    box.open("clm_1");
    expect(box.takeUnread("clm_1")).toEqual([]);
    box.receive(tell(1));
    box.receive(tell(2));
    expect(box.takeUnread("clm_1")).toEqual([
      { text: "message 1", from: "ana" },
      { text: "message 2", from: "ana" },
    ]);
    expect(box.takeUnread("clm_1")).toEqual([]);
    box.receive(tell(3));
    expect(box.takeUnread("clm_1")).toEqual([{ text: "message 3", from: "ana" }]);
  });

  it("keeps a re-sent tell once and reports every id it has", () => {
    const box = inbox();
    box.open("clm_1");
    box.receive(tell(1));
    box.takeUnread("clm_1");
    box.receive(tell(1));
    expect(box.received("clm_1")).toEqual(["tel_1"]);
    expect(box.takeUnread("clm_1")).toEqual([]);
  });

  it("marks messages read on disk before handing them out", () => {
    const box = inbox();
    box.open("clm_1");
    box.receive(tell(1));
    box.receive(tell(2));
    box.takeUnread("clm_1");
    box.receive(tell(3));
    const again = inbox();
    again.open("clm_1");
    expect(again.received("clm_1")).toEqual(["tel_1", "tel_2", "tel_3"]);
    expect(again.takeUnread("clm_1")).toEqual([{ text: "message 3", from: "ana" }]);
    expect(JSON.parse(readFileSync(join(root, "clm_1", "tells.json"), "utf8")).tells).toHaveLength(3);
  });

  it("leaves messages unread when it cannot record that they were read", () => {
    // A claim dir below a plain file cannot be written, whoever runs the test.
    writeFileSync(join(root, "file"), "");
    let dir = join(root, "file", "clm_1");
    const box = new TellInbox({ dirOf: () => dir, log: silentLogger() });
    box.open("clm_1");
    box.receive(tell(1));
    expect(() => box.takeUnread("clm_1")).toThrow();
    dir = join(root, "clm_1");
    expect(box.takeUnread("clm_1")).toEqual([{ text: "message 1", from: "ana" }]);
    expect(box.takeUnread("clm_1")).toEqual([]);
  });

  it("takes no tells for a claim it does not run", () => {
    const box = inbox();
    expect(box.receive(tell(1, "clm_2"))).toBe(false);
    expect(box.received("clm_2")).toEqual([]);
    box.open("clm_1");
    box.close("clm_1");
    expect(box.receive(tell(2))).toBe(false);
  });
});
