// The checker on hand-made histories: clean runs pass, and each kind of broken run is caught with a clear message.
import { describe, expect, it } from "vitest";
import {
  checkAll,
  checkEndsOnce,
  checkFencingDb,
  checkFencingHistory,
  checkLogs,
  checkNoOrphans,
  checkNoOverlap,
  normalizeHistory,
  type DbClaim,
  type DbRecord,
  type FinalTask,
  type LogEntry,
  type Observation,
} from "./checker.js";
import { parseHistoryLine, type HistoryEvent, type Logged } from "./history.js";
import { parseStamps, workerArgv, type Stamp } from "./worker.js";

const T = "tsk_1";
const N = "nod_a";
const M = "nod_b";
const h = (...events: HistoryEvent[]): Logged[] => events.map((e, i) => ({ ...e, incarnation: 0, time: i }));
const offer = (claimId: string, token: number, nodeId = N): HistoryEvent => ({ ev: "offer", taskId: T, claimId, token, nodeId });
const accept = (claimId: string, token: number, nodeId = N): HistoryEvent => ({ ev: "accept", taskId: T, claimId, token, nodeId });
const records = (claimId: string, token: number, fromSeq: number, toSeq: number, nodeId = N): HistoryEvent => ({
  ev: "records",
  taskId: T,
  claimId,
  token,
  nodeId,
  fromSeq,
  toSeq,
});
const result = (claimId: string, token: number, status = "succeeded", nodeId = N): HistoryEvent => ({
  ev: "result",
  taskId: T,
  claimId,
  token,
  nodeId,
  status,
  reason: status === "succeeded" ? null : "lost",
  exitCode: status === "succeeded" ? 0 : null,
});
const state = (s: string, claimId: string | null = null): HistoryEvent => ({ ev: "state", taskId: T, state: s, claimId });
const expire = (claimId: string, token: number, nodeId = N): HistoryEvent => ({ ev: "expire", taskId: T, claimId, token, nodeId, reason: "lost" });

/** A clean retry: claim 1 on node a is lost and expired, claim 2 on node b succeeds. */
const retried = h(
  { ev: "submit", taskId: T },
  state("queued"),
  offer("clm_1", 1),
  state("assigned", "clm_1"),
  accept("clm_1", 1),
  records("clm_1", 1, 1, 3),
  state("running", "clm_1"),
  { ev: "node", nodeId: N, state: "lost" },
  expire("clm_1", 1),
  state("queued", null),
  offer("clm_2", 2, M),
  accept("clm_2", 2, M),
  records("clm_2", 2, 1, 4, M),
  state("running", "clm_2"),
  result("clm_2", 2, "succeeded", M),
  state("succeeded", "clm_2"),
  { ev: "refused", taskId: T, claimId: "clm_1", token: 1, nodeId: N, type: "claim.done" },
);

const claim = (claimId: string, token: number, st: string, exitCode: number | null, reason: string | null, nodeId = N) => ({
  claimId,
  token,
  attempt: token,
  nodeId,
  state: st,
  exitCode,
  reason,
});
const finalRetried: FinalTask = {
  id: T,
  state: "succeeded",
  exitCode: 0,
  reason: null,
  claims: [claim("clm_1", 1, "expired", null, "lost"), claim("clm_2", 2, "done", 0, null, M)],
};

describe("checkEndsOnce", () => {
  it("passes a task that ended once", () => {
    expect(checkEndsOnce([{ taskId: T, lines: 3 }], [finalRetried], retried)).toEqual([]);
  });

  it("reports a task stuck short of a terminal state", () => {
    const vs = checkEndsOnce([{ taskId: T, lines: 3 }], [{ ...finalRetried, state: "running" }], retried.slice(0, 7));
    expect(vs.map((v) => v.message)).toEqual(["task tsk_1 is stuck in state running"]);
  });

  it("reports a submitted task the coordinator does not know", () => {
    expect(checkEndsOnce([{ taskId: "tsk_gone", lines: 1 }], [], [])[0]?.message).toMatch(/tsk_gone was submitted but/);
  });

  it("reports a task that leaves a terminal state", () => {
    const vs = checkEndsOnce([{ taskId: T, lines: 3 }], [finalRetried], h(state("failed", "clm_1"), state("queued"), state("succeeded", "clm_2")));
    expect(vs).toHaveLength(3);
    expect(vs[0]?.message).toMatch(/changed state after it ended: state .*failed.* then state .*queued/);
    expect(vs[2]?.message).toMatch(/ended failed in the history but is succeeded in the database/);
  });

  it("reports a terminal task whose claim is still live", () => {
    const t = { ...finalRetried, claims: [claim("clm_1", 1, "running", null, null), claim("clm_2", 2, "done", 0, null)] };
    expect(checkEndsOnce([{ taskId: T, lines: 3 }], [t], [])[0]?.message).toMatch(/claim clm_1 is still running/);
  });
});

describe("checkFencingHistory", () => {
  it("passes a retry where the lost claim's late result is refused", () => {
    expect(checkFencingHistory(retried)).toEqual([]);
  });

  it("reports records stored from an older token after a newer offer", () => {
    const bad = h(offer("clm_1", 1), accept("clm_1", 1), expire("clm_1", 1), offer("clm_2", 2, M), records("clm_1", 1, 4, 6));
    const vs = checkFencingHistory(bad);
    expect(vs).toHaveLength(1);
    expect(vs[0]!.message).toMatch(/^records .*clm_1.* was accepted from token 1 while token 2 was already offered$/);
  });

  it("folds a zombie's many record batches into one violation", () => {
    const bad = h(offer("clm_1", 1), expire("clm_1", 1), offer("clm_2", 2, M), records("clm_1", 1, 4, 6), records("clm_1", 1, 7, 9));
    expect(checkFencingHistory(bad).map((v) => v.message)).toEqual([expect.stringMatching(/token 2 was already offered \(and 1 more records events of this claim like it\)$/)]);
  });

  it("reports a result stored from an expired claim before any re-offer", () => {
    const vs = checkFencingHistory(h(offer("clm_1", 1), accept("clm_1", 1), expire("clm_1", 1), result("clm_1", 1, "failed")));
    expect(vs.map((v) => v.message)).toEqual([expect.stringMatching(/^result .* was accepted after claim clm_1 had expired$/)]);
  });

  it("reports records stored after the task ended", () => {
    const vs = checkFencingHistory(h(offer("clm_1", 1), result("clm_1", 1), state("succeeded", "clm_1"), records("clm_1", 1, 9, 9)));
    expect(vs[0]?.message).toMatch(/was accepted after the task ended \(state .*succeeded/);
  });

  it("reports a state change made by a superseded claim", () => {
    const vs = checkFencingHistory(h(offer("clm_1", 1), offer("clm_2", 2, M), state("running", "clm_1")));
    expect(vs[0]?.message).toMatch(/^state .* was accepted from claim clm_1 \(token 1\) while token 2/);
  });

  it("follows tokens across a coordinator restart", () => {
    const before = h(offer("clm_1", 1), accept("clm_1", 1));
    const after = h(expire("clm_1", 1), offer("clm_2", 2, M), records("clm_1", 1, 1, 2)).map((e) => ({ ...e, incarnation: 1 }));
    expect(checkFencingHistory([...before, ...after])).toHaveLength(1);
  });
});

describe("checkFencingDb", () => {
  const claims: DbClaim[] = [
    { id: "clm_1", taskId: T, token: 1, state: "expired", finishedAt: 10_000 },
    { id: "clm_2", taskId: T, token: 2, state: "done", finishedAt: 20_000 },
  ];
  const recs: DbRecord[] = [
    { claimId: "clm_1", taskId: T, seq: 1, storedAt: 9_000 },
    { claimId: "clm_1", taskId: T, seq: 2, storedAt: 10_000 },
    { claimId: "clm_2", taskId: T, seq: 1, storedAt: 15_000 },
  ];

  it("passes when an expired claim's records were all stored before it expired", () => {
    expect(checkFencingDb([finalRetried], claims, recs)).toEqual([]);
  });

  it("reports records of an expired claim stored after it expired", () => {
    const late = [...recs, { claimId: "clm_1", taskId: T, seq: 3, storedAt: 12_500 }, { claimId: "clm_1", taskId: T, seq: 4, storedAt: 13_000 }];
    const vs = checkFencingDb([finalRetried], claims, late);
    expect(vs.map((v) => v.message)).toEqual([expect.stringMatching(/claim clm_1 \(token 1\) was expired at .* but records 3,4 were stored after it, up to 3000 ms later/)]);
    expect(checkFencingDb([finalRetried], claims, late, 5000)).toEqual([]);
  });

  it("reports a task whose result is not its last claim's", () => {
    const zombieWon: FinalTask = { ...finalRetried, state: "failed", exitCode: null, reason: "lost" };
    const vs = checkFencingDb([zombieWon], claims, recs);
    expect(vs[0]?.message).toMatch(/shows exitCode null reason lost but its last claim clm_2 \(token 2\) has exitCode 0 reason null/);
  });

  it("reports a task that ran again after a success", () => {
    const t: FinalTask = { ...finalRetried, claims: [claim("clm_1", 1, "done", 0, null), claim("clm_2", 2, "done", 0, null, M)] };
    expect(checkFencingDb([t], [], [])[0]?.message).toMatch(/ran again \(claim clm_2\) after claim clm_1 had succeeded/);
  });
});

describe("checkNoOverlap", () => {
  const s = (kind: Stamp["kind"], claimId: string, msAt: number, taskId = T): Stamp => ({ kind, taskId, claimId, ns: BigInt(msAt) * 1_000_000n });

  it("passes attempts that follow each other", () => {
    expect(checkNoOverlap([s("start", "c1", 0), s("alive", "c1", 50), s("alive", "c1", 100), s("start", "c2", 2100), s("end", "c2", 3000)])).toEqual([]);
  });

  it("passes overlapping workers of different tasks", () => {
    expect(checkNoOverlap([s("start", "c1", 0), s("alive", "c1", 500), s("start", "c9", 100, "tsk_9"), s("end", "c9", 400, "tsk_9")])).toEqual([]);
  });

  it("reports a zombie still stamping after the next attempt started", () => {
    const vs = checkNoOverlap([s("start", "c1", 0), s("start", "c2", 1000), s("alive", "c1", 1250), s("end", "c2", 2000)]);
    expect(vs.map((v) => v.message)).toEqual(["task tsk_1 ran two workers at once: claim c1 was still alive 250 ms after claim c2 started"]);
  });

  it("reports one claim that started a worker twice", () => {
    expect(checkNoOverlap([s("start", "c1", 0), s("start", "c1", 500)])[0]?.message).toBe("claim c1 of task tsk_1 started a worker 2 times");
  });

  it("reports a worker that outlived every task", () => {
    const stamps = [s("start", "c1", 0), s("alive", "c1", 5000)];
    expect(checkNoOrphans(stamps, 4_000_000_000n, 500)[0]?.message).toMatch(/claim c1 .* still alive 1000 ms after every task had ended/);
    expect(checkNoOrphans(stamps, 4_600_000_000n, 500)).toEqual([]);
  });
});

describe("checkLogs", () => {
  const entry = (seq: number, text: string | null, claimId = "clm_2"): LogEntry => ({
    claimId,
    attempt: 2,
    record: text === null ? { seq, kind: "started" } : { seq, kind: "log", stream: "stdout", text },
  });
  const good = [entry(1, null), entry(2, `line ${T} 1\nline ${T} 2\nli`), entry(3, `ne ${T} 3\n`)];
  /** The lost first attempt stored a started record, one line and half of the next. */
  const firstAttempt = [entry(1, null, "clm_1"), entry(2, `line ${T} 1\nline `, "clm_1")];
  const logsOf = (es: LogEntry[], first = firstAttempt) => new Map([[T, [...first, ...es]]]);

  it("passes the final attempt's lines, split across records, once and in order", () => {
    expect(checkLogs([{ taskId: T, lines: 3 }], [finalRetried], logsOf(good))).toEqual([]);
  });

  it("reports a missing line", () => {
    const vs = checkLogs([{ taskId: T, lines: 4 }], [finalRetried], logsOf(good));
    expect(vs[0]?.message).toBe(`task ${T} claim clm_2: stdout has 3 lines where the worker printed 4; first difference at line 4: expected "line ${T} 4", got "<end>"`);
  });

  it("reports a duplicated record", () => {
    const vs = checkLogs([{ taskId: T, lines: 3 }], [finalRetried], logsOf([...good.slice(0, 2), entry(2, `line ${T} 1\n`), entry(3, `ne ${T} 3\n`)]));
    expect(vs.map((v) => v.message)).toEqual([
      expect.stringMatching(/record seqs are not 1..4 in order: at position 3 got 2/),
      expect.stringMatching(/first difference at line 3: expected "line tsk_1 3", got "liline tsk_1 1"/),
    ]);
  });

  it("reports lines out of order", () => {
    const swapped = [entry(1, null), entry(2, `line ${T} 2\n`), entry(3, `line ${T} 1\nline ${T} 3\n`)];
    expect(checkLogs([{ taskId: T, lines: 3 }], [finalRetried], logsOf(swapped))[0]?.message).toMatch(/first difference at line 1: expected "line tsk_1 1", got "line tsk_1 2"/);
  });

  it("reports a stopped attempt whose stored output skips a line", () => {
    const gap = [entry(1, null, "clm_1"), entry(2, `line ${T} 1\nline ${T} 3\n`, "clm_1")];
    const vs = checkLogs([{ taskId: T, lines: 3 }], [finalRetried], logsOf(good, gap));
    expect(vs.map((v) => v.message)).toEqual([
      `task ${T} claim clm_1: stored output of a stopped attempt is not what its worker printed, in order: at line 2 expected "line ${T} 2", got "line ${T} 3"`,
    ]);
  });

  it("reports a stopped attempt with a gap in its record seqs", () => {
    const gap = [entry(1, null, "clm_1"), entry(3, `line ${T} 1\n`, "clm_1")];
    expect(checkLogs([{ taskId: T, lines: 3 }], [finalRetried], logsOf(good, gap))[0]?.message).toMatch(/claim clm_1: record seqs are not 1..2 in order: at position 2 got 3/);
  });

  it("reports a succeeded task whose final attempt stored nothing", () => {
    expect(checkLogs([{ taskId: T, lines: 2 }], [finalRetried], logsOf([])).map((v) => v.message)).toEqual([expect.stringMatching(/claim clm_2: stdout has 0 lines where the worker printed 2/)]);
  });

  it("checks only the stopped attempts of tasks that did not succeed", () => {
    expect(checkLogs([{ taskId: T, lines: 3 }], [{ ...finalRetried, state: "failed" }], logsOf([]))).toEqual([]);
  });
});

describe("checkAll", () => {
  it("passes a clean run and fails a run with a zombie", () => {
    const base: Observation = {
      submitted: [{ taskId: T, lines: 3 }],
      history: retried,
      tasks: [finalRetried],
      dbClaims: [],
      dbRecords: [],
      stamps: [],
      logs: new Map([[T, [{ claimId: "clm_2", attempt: 2, record: { seq: 1, kind: "started" } }, { claimId: "clm_2", attempt: 2, record: { seq: 2, kind: "log", stream: "stdout", text: `line ${T} 1\nline ${T} 2\nline ${T} 3\n` } }]]]),
      allEndedNs: 10n ** 18n,
    };
    expect(checkAll(base)).toEqual([]);
    const zombie = { ...base, history: [...retried, ...h(records("clm_1", 1, 4, 5))] };
    expect(checkAll(zombie).map((v) => v.check)).toEqual(["fencing-history"]);
  });
});

describe("normalizeHistory", () => {
  it("reports claim events without a numeric token and fills the token in from the claims table", () => {
    const redacted = h({ ...(offer("clm_1", 1) as object), token: "[redacted]" } as unknown as HistoryEvent, state("queued"));
    const { events, violations } = normalizeHistory(redacted, [{ id: "clm_1", taskId: T, token: 1, state: "done", finishedAt: 1 }]);
    expect(events[0]).toMatchObject({ ev: "offer", token: 1 });
    expect(violations.map((v) => v.message)).toEqual([expect.stringMatching(/^1 history claim events carry no numeric token, e.g. offer .*\[redacted\]/)]);
    expect(normalizeHistory(retried, []).violations).toEqual([]);
  });
});

describe("history and stamps parsing", () => {
  it("reads history lines from the coordinator's JSON log and skips everything else", () => {
    const line = JSON.stringify({ level: 20, time: 5, service: "coordinator", component: "history", ev: "offer", taskId: T, claimId: "c", token: 1, nodeId: N, msg: "history" });
    expect(parseHistoryLine(line, 2)).toEqual({ ev: "offer", taskId: T, claimId: "c", token: 1, nodeId: N, incarnation: 2, time: 5 });
    expect(parseHistoryLine(JSON.stringify({ component: "gateway", msg: "history" }), 0)).toBeNull();
    expect(parseHistoryLine('{"component":"history", broken', 0)).toBeNull();
  });

  it("parses stamps and skips a torn last line", () => {
    expect(parseStamps("start t c 1\nalive t c 2\nend t c 3\nalive t c")).toHaveLength(3);
  });

  it("quotes the stamps path inside the worker script", () => {
    expect(workerArgv("/tmp/it's", { lines: 2 })[2]).toContain(`f='/tmp/it'\\''s'`);
  });
});
