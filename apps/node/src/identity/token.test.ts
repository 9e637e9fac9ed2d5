import { decodeProtectedHeader, importJWK, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { generateNodeKeyPair } from "./keys.js";
import { createNodeTokenSigner } from "./token.js";

describe("node token", () => {
  it("is an EdDSA JWT the coordinator can verify with the node's public key", async () => {
    const keys = await generateNodeKeyPair();
    const sign = await createNodeTokenSigner({ nodeId: "nod_1", audience: "muster:c1", privateKey: keys.privateKey });
    const token = await sign();
    expect(decodeProtectedHeader(token).alg).toBe("EdDSA");
    const { payload } = await jwtVerify(token, await importJWK(keys.publicKey, "EdDSA"), {
      issuer: "nod_1",
      subject: "nod_1",
      audience: "muster:c1",
    });
    expect(payload.exp! - payload.iat!).toBeGreaterThan(0);
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("uses a new jti for every token", async () => {
    const keys = await generateNodeKeyPair();
    const sign = await createNodeTokenSigner({ nodeId: "nod_1", audience: "a", privateKey: keys.privateKey });
    const jtis = new Set<unknown>();
    for (let i = 0; i < 5; i++) jtis.add((await jwtVerify(await sign(), await importJWK(keys.publicKey, "EdDSA"))).payload.jti);
    expect(jtis.size).toBe(5);
  });

  it("takes its times from the injected clock", async () => {
    const keys = await generateNodeKeyPair();
    const sign = await createNodeTokenSigner({
      nodeId: "nod_1",
      audience: "a",
      privateKey: keys.privateKey,
      now: () => 1_700_000_000_000,
    });
    const token = await sign();
    const { payload } = await jwtVerify(token, await importJWK(keys.publicKey, "EdDSA"), {
      currentDate: new Date(1_700_000_010_000),
    });
    expect(payload.iat).toBe(1_700_000_000);
    expect(payload.exp).toBe(1_700_000_030);
    await expect(
      jwtVerify(token, await importJWK(keys.publicKey, "EdDSA"), { currentDate: new Date(1_700_000_061_000) }),
    ).rejects.toThrow(/exp/);
  });

  it("refuses a lifetime over the protocol's 60 s ceiling", async () => {
    const keys = await generateNodeKeyPair();
    await expect(createNodeTokenSigner({ nodeId: "n", audience: "a", privateKey: keys.privateKey, ttlSeconds: 61 })).rejects.toThrow(
      /lifetime/,
    );
  });
});
