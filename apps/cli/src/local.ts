// The worker's side of its node's local endpoint (`muster ask`, `muster told`): one JSON request line on the unix
// socket named in MUSTER_ASK_SOCKET, one response line back.
import { connect } from "node:net";
import { LOCAL_SECRET_ENV, LOCAL_SOCKET_ENV, LocalRequest, LocalResponse } from "@muster/protocol";
import type { z } from "zod";
import { firstIssue, networkReason } from "./client.js";
import { CLIError, usageError } from "./errors.js";

export interface WorkerEndpoint {
  path: string;
  secret: string;
}

/** The endpoint the node named in this worker's environment; a usage error outside a worker. */
export function workerEndpoint(env: Record<string, string | undefined>, command: string): WorkerEndpoint {
  const path = env[LOCAL_SOCKET_ENV];
  const secret = env[LOCAL_SECRET_ENV];
  if (!path || !secret) throw usageError(`muster ${command} runs inside a Muster worker`);
  return { path, secret };
}

/** A request checked before it is sent, so a too-long question is a usage error here, not the node's. */
export function localRequest(body: z.input<typeof LocalRequest>): LocalRequest {
  const parsed = LocalRequest.safeParse(body);
  if (!parsed.success) throw usageError(firstIssue(parsed.error));
  return parsed.data;
}

/** Sends one request and waits, as long as it takes, for the node's one response; `error` responses throw. */
export function callNode(endpoint: WorkerEndpoint, request: LocalRequest): Promise<Exclude<LocalResponse, { op: "error" }>> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      fn();
    };
    const socket = connect(endpoint.path, () => socket.write(`${JSON.stringify(request)}\n`));
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf("\n");
      if (nl >= 0) settle(() => responded(buffered.slice(0, nl), resolve, reject));
    });
    socket.on("error", (err) =>
      settle(() => reject(new CLIError("unreachable", `cannot reach the node at ${endpoint.path}: ${networkReason(err)}`, { cause: err }))),
    );
    socket.on("close", () => settle(() => reject(new CLIError("failure", "the node closed the connection before it answered"))));
  });
}

function responded(
  line: string,
  resolve: (r: Exclude<LocalResponse, { op: "error" }>) => void,
  reject: (err: CLIError) => void,
): void {
  let parsed: ReturnType<typeof LocalResponse.safeParse>;
  try {
    parsed = LocalResponse.safeParse(JSON.parse(line));
  } catch {
    return reject(new CLIError("failure", "unexpected response from the node: not JSON"));
  }
  if (!parsed.success) return reject(new CLIError("failure", `unexpected response from the node: ${firstIssue(parsed.error)}`));
  const response = parsed.data;
  if (response.op !== "error") return resolve(response);
  // A wrong secret is the worker's credentials being refused, like a bad token.
  const kind = response.code === "unauthorized" ? "auth" : "failure";
  reject(new CLIError(kind, response.message, { serverCode: response.code }));
}
