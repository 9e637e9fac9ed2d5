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
    const top = /\n {6}""\) words="([^"]*)"/.exec(out)?.[1]?.split(" ") ?? [];
    expect(top).toEqual(expect.arrayContaining([...TOP_LEVEL, "--config", "--help", "--version"]));
    expect(out).toMatch(/\n {6}nodes\)\n {8}case "\$sub" in\n {10}""\) words="ls list show /);
    expect(out).toMatch(/\n {6}status\) words="--json --watch --interval --help" ;;/);
    expect(out).toMatch(/\n {10}drain\) words="[^"]*--deadline/);
    // Values of flags such as --config and --state are not taken for command names; --config is passed on.
    expect(out).toContain('--config|--ca) globals+=("$w" "${COMP_WORDS[i+1]}"); ((i++)) ;;');
    expect(out).toMatch(/\n {6}--affinity-key\|[^)]*--state[^)]*\) \(\(i\+\+\)\) ;;/);
    // -f takes a value in `goal` but not in `logs`: a word after it may be a command or a task id.
    expect(out).not.toMatch(/\|-f\) \(\(i\+\+\)\)/);
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

  it("fish: one complete line per word, values from the coordinator", async () => {
    const out = await script("fish");
    for (const name of TOP_LEVEL) expect(out).toContain(`complete -c muster -n '__muster_at ""' -f -a '${name}' -d `);
    expect(out).toContain("complete -c muster -n '__muster_at \\'nodes\\' \\'drain\\'' -l deadline -r -d ");
    expect(out).toContain("complete -c muster -n '__muster_at \\'nodes\\' \\'drain\\' 2' -f -a '(__muster_values nodes)'");
    expect(out).toContain(
      "complete -c muster -n '__muster_at \\'tasks\\'' -l node -x -a '(__muster_values nodes)'\ncomplete -c muster -n '__muster_at \\'tasks\\'' -l node -x -d 'only tasks whose",
    );
    expect(out).toContain("complete -c muster -n '__muster_at \\'answer\\' \\'*\\' 1' -f -a '(__muster_values asks)'");
  });

  it("bash and zsh ask `muster __complete` for node, task, ask and agent words", async () => {
    for (const shell of ["bash", "zsh"]) {
      const out = await script(shell);
      expect(out).toMatch(/\n {10}drain\) [^\n]*; \(\(n == 2\)\) && kind=nodes ;;/);
      expect(out).toMatch(/\n {6}logs\) [^\n]*; \(\(n == 1\)\) && kind=tasks ;;/);
      expect(out).toMatch(/\n {6}answer\) [^\n]*; \(\(n == 1\)\) && kind=asks ;;/);
      expect(out).toContain("\n    --agent) kind=agents ;;\n    --node) kind=nodes ;;\n    --task) kind=tasks ;;\n");
      expect(out).toContain('muster "${globals[@]}" __complete "$kind"');
    }
  });

  it("an unknown shell is a usage error", async () => {
    const io = fakeIo();
    expect(await runCli(["completion", "powershell"], io)).toBe(2);
    expect(io.err()).toBe(
      "muster: command-argument value 'powershell' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish. (see muster completion --help)\n",
    );
    expect(io.out()).toBe("");
  });
});
