// HTTP client for the coordinator's API: every response body is parsed with its protocol schema, every
// failure becomes a CLIError with the right exit code.
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { rootCertificates } from "node:tls";
import { describeTlsFailure, ErrorBody, formatDuration, MUSTER_VERSION } from "@muster/protocol";
import type { z } from "zod";
import { CLIError } from "./errors.js";

export type Query = Record<string, string | number | undefined>;

export interface ClientOptions {
  url: string;
  token?: string | undefined;
  fetch: typeof fetch;
  /** Limit for one ordinary request; streams have none. */
  timeoutMs?: number;
  /** `fetch` trusts a private CA (--ca): a certificate that still fails to verify is not for want of one. */
  caGiven?: boolean;
}

export interface StreamOptions {
  lastEventId?: string | undefined;
  signal?: AbortSignal | undefined;
}

export class ApiClient {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #caGiven: boolean;

  constructor({ url, token, fetch, timeoutMs = 30_000, caGiven = false }: ClientOptions) {
    this.url = url.replace(/\/+$/, "");
    this.#token = token;
    this.#fetch = fetch;
    this.#timeoutMs = timeoutMs;
    this.#caGiven = caGiven;
  }

  get<S extends z.ZodType>(path: string, schema: S, query?: Query): Promise<z.output<S>> {
    return this.#json("GET", withQuery(path, query), schema);
  }

  post<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.output<S>> {
    return this.#json("POST", path, schema, body);
  }

  delete<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
    return this.#json("DELETE", path, schema);
  }

  /** Opens a `text/event-stream` response and returns its body. */
  async stream(path: string, query: Query, opts: StreamOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const headers = this.#headers({ accept: "text/event-stream" });
    if (opts.lastEventId) headers["last-event-id"] = opts.lastEventId;
    const target = withQuery(path, query);
    // The time limit covers getting the response headers only; the stream itself may stay open for hours.
    const connect = new AbortController();
    const timer = setTimeout(() => connect.abort(new DOMException("timed out", "TimeoutError")), this.#timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, connect.signal]) : connect.signal;
    const res = await this.#send("GET", target, { headers, signal }).finally(() => clearTimeout(timer));
    if (!res.ok) throw await responseError(res, { method: "GET", path: target, url: this.url });
    if (!res.body || !(res.headers.get("content-type") ?? "").includes("text/event-stream")) {
      await res.body?.cancel().catch(() => undefined);
      throw new CLIError("failure", `unexpected response from coordinator (GET ${target}): not an event stream`);
    }
    return res.body;
  }

  async #json<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.output<S>> {
    const headers = this.#headers(body === undefined ? {} : { "content-type": "application/json" });
    const init: RequestInit = { headers, signal: AbortSignal.timeout(this.#timeoutMs) };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await this.#send(method, path, init);
    if (!res.ok) throw await responseError(res, { method, path, url: this.url });
    let json: unknown;
    try {
      json = await res.json();
    } catch (err) {
      if (isTimeout(err)) throw this.#unreachable(err);
      throw new CLIError("failure", `unexpected response from coordinator (${method} ${path}): not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new CLIError("failure", `unexpected response from coordinator (${method} ${path}): ${firstIssue(parsed.error)}`);
    }
    return parsed.data;
  }

  async #send(method: string, path: string, init: RequestInit): Promise<Response> {
    try {
      return await this.#fetch(`${this.url}${path}`, { ...init, method });
    } catch (err) {
      throw this.#unreachable(err);
    }
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    const headers: Record<string, string> = { "user-agent": `muster-cli/${MUSTER_VERSION}`, ...extra };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    return headers;
  }

  #unreachable(err: unknown): CLIError {
    const tls = describeTlsFailure(err, { caGiven: this.#caGiven });
    if (tls) return new CLIError("unreachable", tls, { cause: err });
    const why = isTimeout(err) ? `timed out after ${formatDuration(this.#timeoutMs)}` : networkReason(err);
    return new CLIError("unreachable", `cannot reach coordinator at ${this.url}: ${why}`, { cause: err });
  }
}

/**
 * `base`, or with a CA file (--ca, MUSTER_CA, the one login stored) a fetch whose TLS connections also trust the CAs
 * in it. Node's own fetch takes no CA, so that one is undici's with an agent that does.
 */
export async function trustingFetch(base: typeof fetch, caFile: string | undefined): Promise<typeof fetch> {
  if (caFile === undefined) return base;
  let pem: string;
  try {
    pem = await readFile(caFile, "utf8");
  } catch (err) {
    throw new CLIError("usage", `cannot read the CA file ${caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new CLIError("usage", `the CA file ${caFile} holds no PEM certificate`);
  }
  // Loaded only here: most runs need no CA, and every command starts faster without undici.
  const undici = await import("undici");
  const dispatcher = new undici.Agent({ connect: { ca: [...rootCertificates, pem] } });
  type Init = Parameters<typeof undici.fetch>[1];
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undici.fetch(input as Parameters<typeof undici.fetch>[0], { ...(init as Init), dispatcher })) as unknown as typeof fetch;
}

/**
 * Maps a non-2xx response to a CLIError: 401 is an auth error (sign in again), a 403 is a failure (the token is
 * fine, its role is not enough), proxies' 502-504 mean unreachable.
 */
export async function responseError(
  res: Response,
  { method, path, url }: { method: string; path: string; url: string },
): Promise<CLIError> {
  const text = await res.text().catch(() => "");
  let body: ErrorBody | undefined;
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(text));
    if (parsed.success) body = parsed.data;
  } catch {
    // not JSON: described by status alone
  }
  const kind = res.status === 401 ? "auth" : "failure";
  if (body) return new CLIError(kind, body.error.message, { serverCode: body.error.code });
  const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
  if (res.status === 502 || res.status === 503 || res.status === 504) {
    return new CLIError("unreachable", `cannot reach coordinator at ${url}: ${status}`);
  }
  if (kind === "auth") return new CLIError("auth", `the coordinator refused the token (${status})`);
  return new CLIError("failure", `unexpected response from coordinator (${method} ${path}): ${status}`);
}

/** The most specific reason a fetch failed, e.g. ECONNREFUSED or ENOTFOUND. */
export function networkReason(err: unknown): string {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const o = e as { code?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof o.code === "string" && o.code !== "UND_ERR_SOCKET") return o.code;
    const inner = Array.isArray(o.errors) ? o.errors[0] : undefined;
    if (inner && typeof (inner as { code?: unknown }).code === "string") return (inner as { code: string }).code;
    e = o.cause;
  }
  const deepest = deepestMessage(err);
  return deepest ?? "request failed";
}

function deepestMessage(err: unknown): string | undefined {
  let msg: string | undefined;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; depth++) {
    msg = e.message;
    e = e.cause;
  }
  return msg;
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === "TimeoutError" || (err.cause instanceof Error && err.cause.name === "TimeoutError"));
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Path segment for an id or name typed by a user. */
export const seg = (text: string) => encodeURIComponent(text);

export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  return issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message;
}
