import { describe, expect, it } from "vitest";
import { fakeIo } from "../_testing/fake-io.js";
import { runCli } from "../cli.js";

const TOP_LEVEL = ["login", "logout", "status", "nodes", "tasks", "task", "cancel", "retry", "logs", "submit", "join-keys", "tokens", "asks", "answer", "tell", "ask", "told", "doctor", "completion", "help"];

async function script(shell: string): Promise<string> {
  const io = fakeIo();
  expect(await runCli(["completion", shell], io)).toBe(0);
  expect(io.err()).toBe("");
  return io.out();
}

describe("muster completion", () => {
  it("bash: completes every top-level command, subcommands and flags", async () => {
    const out = await script("bash");
    const top = /\n {4}""\) words="([^"]*)"/.exec(out)?.[1]?.split(" ") ?? [];
    expect(top).toEqual(expect.arrayContaining([...TOP_LEVEL, "--config", "--help", "--version"]));
    expect(out).toMatch(/\n {4}nodes\)\n {6}case "\$sub" in\n {8}""\) words="ls list show /);
    expect(out).toMatch(/\n {4}status\) words="--json --watch --interval --help" ;;/);
    expect(out).toMatch(/\n {8}drain\) words="[^"]*--deadline/);
    // Values of flags such as --config and --state are not taken for command names.
    expect(out).toMatch(/--config\|[^)]*--state[^)]*\) \(\(i\+\+\)\) ;;/);
    expect(out).toContain("complete -o default -F _muster muster\n");
  });

  it("zsh: a #compdef script with descriptions", async () => {
    const out = await script("zsh");
    expect(out.startsWith("#compdef muster\n")).toBe(true);
    for (const name of TOP_LEVEL) expect(out).toContain(`'${name}:`);
    expect(out).toContain("'doctor:check the config, the coordinator");
    expect(out).toContain("'--watch:redraw the view every --interval until Ctrl-C'");
    expect(out).toContain("_describe -t commands muster cands");
  });

  it("an unknown shell is a usage error", async () => {
    const io = fakeIo();
    expect(await runCli(["completion", "fish"], io)).toBe(2);
    expect(io.err()).toBe(
      "muster: command-argument value 'fish' is invalid for argument 'shell'. Allowed choices are bash, zsh. (see muster completion --help)\n",
    );
    expect(io.out()).toBe("");
  });
});
