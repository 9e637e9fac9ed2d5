// Reads what a worker left in $MUSTER_RESULT_FILE. The result is data about the attempt, not its verdict: a file
// over the cap or not valid JSON becomes an error note, and the claim still ends by its exit code.
import { constants } from "node:fs";
import { lstat, open } from "node:fs/promises";
import { dirname } from "node:path";
import { MAX_RESULT_BYTES, type ClaimResult } from "@muster/protocol";

/** Undefined when the worker wrote no file. */
export async function readClaimResult(path: string, maxBytes = MAX_RESULT_BYTES): Promise<ClaimResult | undefined> {
  let file;
  try {
    // The worker owns the file and its dir: a symlink would make the daemon read (and send on) any file it can,
    // the node's key included.
    if ((await lstat(dirname(path))).isSymbolicLink()) return { error: "the result file's directory is a symlink" };
    file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    if ((err as NodeJS.ErrnoException).code === "ELOOP") return { error: "the result file is a symlink" };
    return { error: `cannot read the result file: ${(err as Error).message}`.slice(0, 2000) };
  }
  try {
    const stat = await file.stat();
    const { size } = stat;
    if (!stat.isFile()) return { error: "the result file is not a regular file" };
    if (size > maxBytes) return { error: `the result file is ${size} bytes, over the ${maxBytes} byte cap` };
    const text = await file.readFile("utf8");
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (err) {
      return { error: `the result file is not valid JSON: ${(err as Error).message}`.slice(0, 2000) };
    }
  } finally {
    await file.close();
  }
}
