// A private CA the node trusts for the coordinator's certificate (`join --ca`), on top of the system's roots.
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { rootCertificates } from "node:tls";
import { Agent, fetch as undiciFetch } from "undici";

/** Reads a PEM file of one or more CA certificates; the error message is the one line a person sees. */
export async function readTrustedCa(path: string): Promise<string[]> {
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read the CA file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new Error(`the CA file ${path} holds no PEM certificate`);
  }
  return [...rootCertificates, pem];
}

/** A fetch whose TLS connections trust `ca`. Node's own fetch takes no CA, so this is undici's, with an agent that does. */
export function fetchTrusting(ca: string[]): typeof fetch {
  const dispatcher = new Agent({ connect: { ca } });
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher })) as unknown as typeof fetch;
}
