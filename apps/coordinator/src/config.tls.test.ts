import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

describe("loadConfig: TLS and the proxy in front", () => {
  it("serves plain HTTP and ignores forwarded headers by default", () => {
    const c = loadConfig({}, {});
    expect(c.tlsCert).toBeUndefined();
    expect(c.tlsKey).toBeUndefined();
    expect(c.trustProxy).toBe(false);
  });

  it("takes the certificate and key from flags over the environment, as absolute paths", () => {
    const env = { MUSTER_TLS_CERT: "/etc/env.crt", MUSTER_TLS_KEY: "/etc/env.key" };
    expect(loadConfig({}, env)).toMatchObject({ tlsCert: "/etc/env.crt", tlsKey: "/etc/env.key" });
    expect(loadConfig({ tlsCert: "tls/cert.pem", tlsKey: "tls/key.pem" }, env)).toMatchObject({
      tlsCert: resolve("tls/cert.pem"),
      tlsKey: resolve("tls/key.pem"),
    });
  });

  it.each([
    [{ tlsCert: "cert.pem" }, {}],
    [{}, { MUSTER_TLS_KEY: "key.pem" }],
  ])("refuses a certificate without a key or a key without a certificate (%j %j)", (flags, env) => {
    expect(() => loadConfig(flags, env)).toThrow(ConfigError);
    expect(() => loadConfig(flags, env)).toThrow(
      "TLS needs both a certificate and a key: give --tls-cert and --tls-key (or MUSTER_TLS_CERT and MUSTER_TLS_KEY) together",
    );
  });

  it("trusts the proxy with --trust-proxy or MUSTER_TRUST_PROXY", () => {
    expect(loadConfig({ trustProxy: true }, {}).trustProxy).toBe(true);
    expect(loadConfig({}, { MUSTER_TRUST_PROXY: "true" }).trustProxy).toBe(true);
    expect(loadConfig({}, { MUSTER_TRUST_PROXY: "1" }).trustProxy).toBe(true);
    expect(loadConfig({}, { MUSTER_TRUST_PROXY: "no" }).trustProxy).toBe(false);
  });

  it("refuses a MUSTER_TRUST_PROXY that is neither true nor false", () => {
    expect(() => loadConfig({}, { MUSTER_TRUST_PROXY: "maybe" })).toThrow('MUSTER_TRUST_PROXY: "maybe" is not true or false');
  });
});
