import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = {
  coordinator: `${ROOT}apps/coordinator/bin/muster-coordinator.js`,
  node: `${ROOT}apps/node/bin/muster-node.js`,
  cli: `${ROOT}apps/cli/bin/muster.js`,
};
