// Asks the claim's node through its local endpoint (the socket and secret in the worker's environment), the same
// way `muster ask` does: one request line, one response line.
import { connect } from "node:net";
import { LocalResponse, type LocalRequest } from "@muster/protocol";
import { ToolAskError, type ToolAnswerReply, type ToolQuestion } from "./decide.js";

export interface LocalEndpointRef {
  path: string;
  secret: string;
}

/** Sends one request and settles with the node's one response; a dropped connection is a ToolAskError. */
export function callLocalEndpoint({ path }: LocalEndpointRef, request: LocalRequest): Promise<LocalResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffered = "";
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      fn();
    };
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf("\n");
      if (nl < 0) return;
      let raw: unknown;
      try {
        raw = JSON.parse(buffered.slice(0, nl));
      } catch {
        raw = null;
      }
      const parsed = LocalResponse.safeParse(raw);
      settle(() => (parsed.success ? resolve(parsed.data) : reject(new ToolAskError("bad_response", "the node sent a response that is not one"))));
    });
    socket.on("error", (err) => settle(() => reject(new ToolAskError("unreachable", `cannot reach the node: ${err.message}`))));
    socket.on("close", () => settle(() => reject(new ToolAskError("unreachable", "the node closed the connection without an answer"))));
  });
}

/** Raises a tool ask through the endpoint and waits for its answer. */
export async function askThroughEndpoint(endpoint: LocalEndpointRef, q: ToolQuestion): Promise<ToolAnswerReply> {
  const response = await callLocalEndpoint(endpoint, { op: "ask", secret: endpoint.secret, gate: null, ...q });
  if (response.op === "error") throw new ToolAskError(response.code, response.message);
  if (response.op !== "answer") throw new ToolAskError("bad_response", `unexpected response from the node: ${response.op}`);
  return { answer: response.answer, answeredBy: response.answeredBy, reason: response.reason };
}
