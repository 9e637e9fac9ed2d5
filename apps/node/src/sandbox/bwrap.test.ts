import { describe, expect, it } from "vitest";
import { bwrapArgs } from "./bwrap.js";

const pairs = (args: string[], flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));

describe("bwrapArgs", () => {
  const base = {
    workdir: "/data/node/work/c1",
    hidden: ["/data/node", "/etc/muster"],
    readOnly: ["/data/node/bin", "/data/node/repos/r.git"],
    writable: ["/data/node/work/c1", "/data/node/repos/r.git/worktrees/c1", "/data/node/repos/r.git/objects"],
    network: "on" as const,
  };

  it("gives the worker its own PID and IPC namespaces, no capabilities, and dies with the daemon's child", () => {
    const args = bwrapArgs(base);
    expect(args.slice(0, 5)).toEqual(["--unshare-pid", "--unshare-ipc", "--die-with-parent", "--cap-drop", "ALL"]);
    expect(args).not.toContain("--unshare-net");
    expect(args).not.toContain("--new-session");
  });

  it("mounts the machine read-only with a fresh /proc whose sysctls stay read-only, and a private /tmp", () => {
    const args = bwrapArgs(base);
    const at = (flag: string, src: string) => args.findIndex((a, i) => a === flag && args[i + 1] === src);
    expect(at("--ro-bind", "/")).toBeGreaterThanOrEqual(0);
    expect(at("--proc", "/proc")).toBeGreaterThan(at("--ro-bind", "/"));
    expect(at("--ro-bind", "/proc/sys")).toBeGreaterThan(at("--proc", "/proc"));
    expect(pairs(args, "--tmpfs")).toContain("/tmp");
    expect(args.slice(-2)).toEqual(["--chdir", "/data/node/work/c1"]);
  });

  it("hides the node's dirs, then binds back only the claim's paths, parents before children", () => {
    const args = bwrapArgs(base);
    expect(pairs(args, "--tmpfs")).toEqual(["/tmp", "/data/node", "/etc/muster"]);
    const binds = args.flatMap((a, i) => (a === "--bind" || a === "--ro-bind" ? [[a, args[i + 1]]] : [])).slice(2);
    expect(binds).toEqual([
      ["--ro-bind", "/data/node/bin"],
      ["--ro-bind", "/data/node/repos/r.git"],
      ["--bind", "/data/node/work/c1"],
      ["--bind", "/data/node/repos/r.git/objects"],
      ["--bind", "/data/node/repos/r.git/worktrees/c1"],
    ]);
    const lastTmpfs = args.lastIndexOf("--tmpfs");
    expect(args.indexOf("--bind")).toBeGreaterThan(lastTmpfs);
  });

  it("skips a hidden dir inside another one or inside the private /tmp", () => {
    const args = bwrapArgs({ ...base, hidden: ["/srv/t/node-data", "/srv/t", "/tmp/muster-0"] });
    expect(pairs(args, "--tmpfs")).toEqual(["/tmp", "/srv/t"]);
  });

  it("brings the node's installation back from under the private /tmp, keeping a data dir inside it hidden", () => {
    const args = bwrapArgs({ ...base, visible: ["/tmp/ci-1"], hidden: ["/tmp/ci-1/.muster/node", "/tmp/muster-0"] });
    const joined = args.join(" ");
    expect(joined).toContain("--tmpfs /tmp --ro-bind /tmp/ci-1 /tmp/ci-1 --tmpfs /tmp/ci-1/.muster/node");
    expect(pairs(args, "--tmpfs")).toEqual(["/tmp", "/tmp/ci-1/.muster/node"]);
  });

  it("covers single files with /dev/null", () => {
    const args = bwrapArgs({ ...base, hiddenFiles: ["/work/node.json"] });
    expect(args.join(" ")).toContain("--ro-bind /dev/null /work/node.json");
  });

  it("cuts the network for network none", () => {
    expect(bwrapArgs({ ...base, network: "none" })).toContain("--unshare-net");
  });
});
