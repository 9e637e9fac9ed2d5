// Who may do what: API tokens and roles over HTTP, and the signed tokens nodes open their sockets with.
import { randomUUID } from "node:crypto";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds } from "../harness/databases.js";
import { api, disposeCoordinator, startCoordinator, type CoordinatorHandle } from "../harness/processes.js";
import { enrolledNode, openSocket, signNodeJwt, type RawIdentity } from "../harness/raw-node.js";

const kinds = await databaseKinds();

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");

describe.each(kinds)("authentication and roles on %s", (kind) => {
  let c: CoordinatorHandle;
  let id: RawIdentity;
  const tokens: Record<"viewer" | "operator", string> = { viewer: "", operator: "" };
  beforeAll(async () => {
    c = await startCoordinator(kind);
    id = await enrolledNode(c, "auth-node");
    for (const role of ["viewer", "operator"] as const) {
      const res = await api<any>(c, "POST", "/v1/tokens", { name: `${role} for tests`, role });
      expect(res.status).toBe(201);
      tokens[role] = res.body.token;
    }
  });
  afterAll(async () => {
    if (c) await disposeCoordinator(c);
  });

  describe("API tokens", () => {
    it.each([
      ["no token", null],
      ["a malformed token", "not-a-token"],
      ["a well-formed unknown token", "mat_AAAAAAAAAAAAAAAA_bm90LWEtcmVhbC1zZWNyZXQtYXQtYWxsLXJlYWxseQ"],
    ])("answers a request with %s with 401 unauthorized", async (_what, token) => {
      const res = await api<any>(c, "GET", "/v1/tasks", undefined, token);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("unauthorized");
    });

    it("refuses a token once it is revoked", async () => {
      const made = await api<any>(c, "POST", "/v1/tokens", { name: "short-lived", role: "operator" });
      expect((await api(c, "GET", "/v1/status", undefined, made.body.token)).status).toBe(200);
      expect((await api(c, "DELETE", `/v1/tokens/${made.body.id}`)).status).toBe(200);
      const after = await api<any>(c, "GET", "/v1/status", undefined, made.body.token);
      expect(after.status).toBe(401);
      expect(after.body.error.code).toBe("unauthorized");
    });
  });

  describe("roles", () => {
    it("lets a viewer read but not submit, cancel, tell or answer", async () => {
      const v = tokens.viewer;
      expect((await api(c, "GET", "/v1/tasks", undefined, v)).status).toBe(200);
      const queued = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["true"], selector: "nowhere=true" });
      const refused = [
        await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["true"] }, v),
        await api<any>(c, "POST", `/v1/tasks/${queued.body.id}/cancel`, undefined, v),
        await api<any>(c, "POST", `/v1/tasks/${queued.body.id}/tell`, { text: "hi" }, v),
        await api<any>(c, "POST", "/v1/asks/ask_any/answer", { answer: "yes" }, v),
        await api<any>(c, "POST", "/v1/join-keys", {}, v),
      ];
      for (const res of refused) {
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe("forbidden");
      }
      const task = await api<any>(c, "GET", `/v1/tasks/${queued.body.id}`);
      expect(task.body.state).toBe("queued");
      await api(c, "POST", `/v1/tasks/${queued.body.id}/cancel`);
    });

    it("lets an operator run tasks but not create, list or revoke tokens, nor revoke nodes", async () => {
      const o = tokens.operator;
      const sub = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["true"], selector: "nowhere=true" }, o);
      expect(sub.status).toBe(201);
      expect((await api(c, "POST", `/v1/tasks/${sub.body.id}/cancel`, undefined, o)).status).toBe(200);
      const made = await api<any>(c, "POST", "/v1/tokens", { name: "escalation", role: "admin" }, o);
      expect(made.status).toBe(403);
      expect(made.body.error.code).toBe("forbidden");
      expect((await api(c, "GET", "/v1/tokens", undefined, o)).status).toBe(403);
      expect((await api(c, "DELETE", "/v1/tokens/anything", undefined, o)).status).toBe(403);
      expect((await api(c, "POST", `/v1/nodes/${id.nodeId}/revoke`, undefined, o)).status).toBe(403);
      const list = await api<any>(c, "GET", "/v1/tokens");
      expect(list.body.tokens.map((t: any) => t.name)).not.toContain("escalation");
    });
  });

  describe("node tokens", () => {
    const refused = async (jwt: string, code = "unauthorized") => {
      const res = await openSocket(c.url, jwt);
      expect(res.ws, jwt).toBeUndefined();
      expect(JSON.parse(res.body!).error.code).toBe(code);
      return JSON.parse(res.body!).error.message as string;
    };

    it("refuses a token signed with another key", async () => {
      const other = (await generateKeyPair("EdDSA", { crv: "Ed25519" })).privateKey;
      await refused(await signNodeJwt(id, { key: other }));
    });

    it("refuses alg none, and HS256 keyed with the node's public key", async () => {
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: id.nodeId, sub: id.nodeId, aud: id.audience, iat: now, exp: now + 30, jti: randomUUID() };
      await refused(`${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`);
      const confused = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(id.nodeId.padEnd(32, "x")));
      await refused(confused);
    });

    it("refuses a wrong audience, an unknown issuer and an expired token", async () => {
      await refused(await signNodeJwt(id, { aud: "muster:another-fleet" }));
      await refused(await signNodeJwt(id, { iss: "nod_nobody" }));
      await refused(await signNodeJwt(id, { iatOffsetS: -300, ttlS: 30 }));
    });

    it("refuses a token issued in the future, however short its life", async () => {
      const message = await refused(await signNodeJwt(id, { iatOffsetS: 365 * 24 * 3600, ttlS: 30 }));
      expect(message).toMatch(/iat/);
      await refused(await signNodeJwt(id, { iatOffsetS: 120, ttlS: 30 }));
      // Within the clock skew allowed it is fine.
      const skewed = await openSocket(c.url, await signNodeJwt(id, { iatOffsetS: 10, ttlS: 30 }));
      expect(skewed.ws).toBeDefined();
      skewed.ws!.close();
    });

    it("refuses a token that lives longer than allowed, and a replayed one", async () => {
      await refused(await signNodeJwt(id, { ttlS: 3600 }));
      const jwt = await signNodeJwt(id);
      const first = await openSocket(c.url, jwt);
      expect(first.ws).toBeDefined();
      first.ws!.close();
      expect(await refused(jwt)).toMatch(/already used/);
    });
  });
});
