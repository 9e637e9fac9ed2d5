// The web console: the static build of @muster/console, served at `/` behind every API route. Hashed files
// under /assets/ are cached for good; any other path that is not a file is the single-page app's index.html.
import { existsSync } from "node:fs";
import { readFile, realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { Hono, type Context } from "hono";
import { getMimeType } from "hono/utils/mime";
import type { Logger } from "../log.js";
import type { Env } from "./context.js";

export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

const IMMUTABLE = "public, max-age=31536000, immutable";

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Muster: console not built</title></head>
<body>
<h1>The Muster console is not built</h1>
<p>The coordinator and its API are running, but the web console's files are missing.
Run <code>npm run build</code> in the Muster repository (or point <code>MUSTER_CONSOLE_DIR</code> at a built
console), then reload.</p>
</body>
</html>
`;

type Found = { kind: "file"; path: string; size: number; mtimeMs: number } | { kind: "missing" } | { kind: "refused" };

/**
 * Maps a raw (still percent-encoded) URL path to a regular file inside `root`. Each segment is decoded on its own
 * so an encoded `/` or `..` cannot climb out, dot-files stay private, and the real path must stay under the
 * real root so a symlink cannot lead out either.
 */
async function lookup(root: string, rawPath: string): Promise<Found> {
  const segments: string[] = [];
  for (const raw of rawPath.split("/")) {
    if (raw === "") continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return { kind: "refused" };
    }
    if (seg.startsWith(".") || /[/\\\0]/.test(seg)) return { kind: "refused" };
    segments.push(seg);
  }
  if (segments.length === 0) return { kind: "missing" };
  const path = join(root, ...segments);
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(path)]);
    if (!realFile.startsWith(realRoot + sep)) return { kind: "refused" };
    const st = await stat(realFile);
    return st.isFile() ? { kind: "file", path: realFile, size: st.size, mtimeMs: st.mtimeMs } : { kind: "missing" };
  } catch {
    return { kind: "missing" };
  }
}

async function sendFile(c: Context<Env>, file: Extract<Found, { kind: "file" }>, cacheControl: string): Promise<Response> {
  const etag = `W/"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
  const headers = {
    ...CONSOLE_SECURITY_HEADERS,
    "content-type": getMimeType(file.path) ?? "application/octet-stream",
    "cache-control": cacheControl,
    etag,
  };
  if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
  // Hono answers HEAD from the GET route and drops the body; skip reading the file for it.
  if (c.req.method === "HEAD") return c.body(null, 200, { ...headers, "content-length": String(file.size) });
  return c.body(new Uint8Array(await readFile(file.path)), 200, headers);
}

function notFound(c: Context<Env>, path: string): Response {
  const headers = { ...CONSOLE_SECURITY_HEADERS, "cache-control": "no-cache" };
  return c.json({ error: { code: "not_found", message: `no file ${path}` } }, 404, headers);
}

/** Routes for the console build in `dir`; register after the API so /v1 keeps priority. */
export function consoleRoutes(dir: string | undefined, log: Logger): Hono<Env> {
  if (!dir || !existsSync(join(dir, "index.html")))
    log.warn({ consoleDir: dir ?? null }, "web console not built (no index.html): / answers 503; run npm run build");
  const app = new Hono<Env>();

  app.get("*", async (c) => {
    // Classify by the path Hono routed on; look files up from the raw path, one decoded segment at a time.
    const path = c.req.path;
    // Unknown API paths keep the API's JSON 404.
    if (path === "/v1" || path.startsWith("/v1/")) return c.notFound();
    const isAsset = path.startsWith("/assets/");
    const found = dir ? await lookup(dir, new URL(c.req.url).pathname) : ({ kind: "missing" } as const);
    if (found.kind === "refused") return notFound(c, c.req.path);
    if (found.kind === "file") return sendFile(c, found, isAsset ? IMMUTABLE : "no-cache");
    // A missing hashed asset is an error, never the app shell (a browser would try to run HTML as a script).
    if (isAsset) return notFound(c, c.req.path);
    const index = dir ? await lookup(dir, "/index.html") : found;
    if (index.kind === "file") return sendFile(c, index, "no-cache");
    return c.html(NOT_BUILT_PAGE, 503, { ...CONSOLE_SECURITY_HEADERS, "cache-control": "no-store" });
  });

  return app;
}
