// The console's client for the coordinator's /v1 API: same origin, the session cookie, one error shape.
import type { z } from "zod";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Called when any request comes back 401: the session ended, so the console shows sign-in. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

type Method = "GET" | "POST" | "DELETE";

export async function request<T>(method: Method, path: string, body?: unknown, schema?: z.ZodType<T>): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "unreachable", "The coordinator cannot be reached.");
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiError(res.status, "bad_response", `The coordinator answered ${res.status} with something that is not JSON.`);
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (res.status === 401 && path !== "/v1/session") onUnauthorized();
    throw new ApiError(res.status, err?.code ?? "http_" + res.status, err?.message ?? `request failed with HTTP ${res.status}`);
  }
  if (!schema) return data as T;
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new ApiError(res.status, "bad_response", `Unexpected answer from ${path}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

export const api = {
  get: <T>(path: string, schema?: z.ZodType<T>) => request<T>("GET", path, undefined, schema),
  post: <T>(path: string, body: unknown = {}, schema?: z.ZodType<T>) => request<T>("POST", path, body, schema),
  del: <T>(path: string) => request<T>("DELETE", path),
};

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Builds a query string, leaving out empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}
