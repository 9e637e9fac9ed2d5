// Ask views: the asks table (`asks`) and one ask's fields (`asks wait`).
import { summarizeToolInput, type AskView } from "@muster/protocol";
import { formatFields, formatTable, truncate } from "./table.js";
import { agoSince, formatTimestamp } from "./time.js";

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();
/** Keeps the question's lines but no escape sequences from server data. */
const safeText = (text: string) => text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, " ");

export function askTable(asks: readonly AskView[], now: number): string {
  return formatTable(
    ["ID", "TASK", "NODE", "QUESTION", "OPTIONS", "STATE", "ANSWER", "AGE"],
    asks.map((a) => [
      a.id,
      a.taskId,
      a.nodeName ?? a.nodeId,
      truncate(oneLine(a.question), 60),
      a.options.length ? a.options.join(",") : "-",
      a.state,
      a.answer !== null ? truncate(oneLine(a.answer), 30) : "-",
      agoSince(a.createdAt, now).replace(/ ago$/, ""),
    ]),
  );
}

/** One ask in full, the question as asked (it may span lines), then how to answer it. */
export function askFields(a: AskView, now: number): string {
  const fields: [string, string][] = [
    ["id", a.id],
    ["task", a.taskId],
    ["node", a.nodeName ? `${a.nodeName} (${a.nodeId})` : a.nodeId],
    ["state", a.state],
  ];
  if (a.gate) fields.push(["gate", a.gate]);
  if (a.tool) fields.push(["tool", a.tool.name], ["input", safeText(summarizeToolInput(a.tool.name, a.tool.input))]);
  fields.push(["options", a.options.length ? a.options.join(", ") : "free text"], ["asked", formatTimestamp(a.createdAt, now)]);
  if (a.expiresAt && a.state === "pending") fields.push(["expires", `${formatTimestamp(a.expiresAt, now)}, then denied`]);
  if (a.answer !== null) fields.push(["answer", `${oneLine(a.answer)}${a.answeredBy ? ` (by ${a.answeredBy})` : ""}`]);
  if (a.reason) fields.push(["reason", safeText(oneLine(a.reason))]);
  const answer = a.options.length ? a.options.join("|") : "<answer>";
  const diff = a.tool?.diff ? `\n\n${safeText(a.tool.diff).trimEnd()}` : "";
  const reason = a.tool ? " [--reason TEXT]" : "";
  return `${formatFields(fields)}\n\n${safeText(a.question)}${diff}\n\nanswer with: muster answer ${a.id} ${answer}${reason}`;
}
