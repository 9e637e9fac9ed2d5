// `muster completion bash|zsh|fish`: a shell completion script generated from the commander program itself,
// so it lists exactly the commands, subcommands and flags this build has. Words only the coordinator knows
// (nodes, tasks, asks, agents) come from `muster __complete` at the moment Tab is pressed.
import { Argument, type Command, type Option } from "commander";
import { argumentKind, COMPLETE_COMMAND, optionKind, type ValueKind } from "./_complete.js";
import { type Ctx, examples } from "./_context.js";
import { fishScript } from "./_completion-fish.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

export interface Word {
  word: string;
  description: string;
}

export interface Flag extends Word {
  short: string | undefined;
  takesValue: boolean;
  kind: ValueKind | undefined;
}

export interface CommandSpec {
  names: string[];
  description: string;
  flags: Flag[];
  subs: CommandSpec[];
  /** What each positional argument names, when the coordinator can list it. */
  args: (ValueKind | undefined)[];
}

/** What every script needs besides the command tree. */
export interface ScriptInput {
  root: CommandSpec;
  /** Flags (long and short) anywhere in the tree that take a value: the next word is that value. */
  valueFlags: string[];
  /** Value flags whose value the coordinator can list, by flag. */
  flagKinds: [string, ValueKind][];
  /** Value flags of the program itself (--config, --ca), passed on to `muster __complete` as typed. */
  globalValueFlags: string[];
}

export function register(program: Command, ctx: Ctx): void {
  program
    .command("completion")
    .description("print a shell completion script for bash, zsh or fish")
    .addArgument(new Argument("<shell>", "the shell to complete in").choices(SHELLS))
    .addHelpText(
      "after",
      examples(
        "source <(muster completion bash)            # in ~/.bashrc",
        "source <(muster completion zsh)             # in ~/.zshrc, after compinit",
        "muster completion zsh > \"${fpath[1]}/_muster\"",
        "muster completion fish > ~/.config/fish/completions/muster.fish",
      ) + "\nNode names, task ids, ask ids and agents are completed from the signed-in coordinator, when it answers.\n",
    )
    .action((shell: Shell, _opts: unknown, cmd: Command) => {
      const root = cmd.parent ?? program;
      ctx.io.stdout.write(completionScript(shell, root));
    });
}

export function completionScript(shell: Shell, program: Command): string {
  const root = specOf(program);
  const flags = collectFlags(program);
  // A short flag that takes a value in one command and not in another (`-f`) is not skipped as if it did.
  const plainShorts = new Set(flags.filter((f) => !f.takesValue).map((f) => f.short));
  const valueWords = flags.filter((f) => f.takesValue).flatMap((f) => [f.word, ...(f.short && !plainShorts.has(f.short) ? [f.short] : [])]);
  const valueFlags = [...new Set(valueWords)].sort();
  const flagKinds = [...new Map(flags.flatMap((f) => (f.kind ? [[f.word, f.kind] as [string, ValueKind]] : []))).entries()].sort();
  const globalValueFlags = root.flags.filter((f) => f.takesValue).map((f) => f.word);
  const input: ScriptInput = { root, valueFlags, flagKinds, globalValueFlags };
  return shell === "bash" ? bashScript(input) : shell === "zsh" ? zshScript(input) : fishScript(input);
}

function specOf(cmd: Command): CommandSpec {
  const subs = cmd.commands.filter((c) => !isHidden(c)).map(specOf);
  // `help [command]` is commander's implicit command, not in `commands`: it completes command names.
  if (!cmd.parent && subs.length) {
    const names = subs.map((s) => ({ word: s.names[0]!, description: s.description }));
    const leaf = (n: Word): CommandSpec => ({ names: [n.word], description: n.description, flags: [], subs: [], args: [] });
    subs.push({ names: ["help"], description: "show help for a command", flags: [], subs: names.map(leaf), args: [] });
  }
  return {
    names: [cmd.name(), ...cmd.aliases()],
    description: firstLine(cmd.description()),
    flags: [...visibleOptions(cmd), { word: "--help", short: "-h", description: "show help", takesValue: false, kind: undefined }],
    subs,
    args: cmd.registeredArguments.map(argumentKind),
  };
}

function visibleOptions(cmd: Command): Flag[] {
  return cmd.options.filter((o: Option) => !o.hidden && o.long && o.long !== "--help").map(flagOf);
}

const flagOf = (o: Option): Flag => ({
  word: o.long!,
  short: o.short,
  description: firstLine(o.description),
  takesValue: o.required || o.optional,
  kind: optionKind(o),
});

/** Every option in the tree, hidden commands' included (a value flag's value is never a command name). */
function collectFlags(cmd: Command): Flag[] {
  return [...cmd.options.filter((o) => o.long).map(flagOf), ...(cmd.commands as Command[]).flatMap(collectFlags)];
}

const isHidden = (cmd: Command) => (cmd as unknown as { _hidden?: boolean })._hidden === true;
const firstLine = (text: string) => text.split("\n")[0]!.trim();

export const subWords = (c: CommandSpec): Word[] => c.subs.flatMap((s) => s.names.map((n) => ({ word: n, description: s.description })));

/** Positional arguments the coordinator completes, as [operand number, kind]; the command's own words count. */
export const argKinds = (c: CommandSpec, depth: number): [number, ValueKind][] =>
  c.args.flatMap((kind, i) => (kind ? [[depth + i, kind] as [number, ValueKind]] : []));

/** `; ((n == 2)) && kind=nodes` for a command whose arguments name coordinator values (bash and zsh alike). */
const kindTest = (c: CommandSpec, depth: number) => argKinds(c, depth).map(([n, kind]) => `; ((n == ${n})) && kind=${kind}`).join("");

/** The completion cases of every command: the same nesting in bash and zsh, only the assignment differs. */
function commandCases(root: CommandSpec, assign: (words: Word[]) => string): string[] {
  const lines = ['  case "$cmd" in', `    "") ${assign([...subWords(root), ...root.flags])} ;;`];
  for (const c of root.subs) {
    if (!c.subs.length) {
      lines.push(`    ${c.names.join("|")}) ${assign(c.flags)}${kindTest(c, 1)} ;;`);
      continue;
    }
    lines.push(`    ${c.names.join("|")})`, '      case "$sub" in', `        "") ${assign([...subWords(c), ...c.flags])} ;;`);
    for (const s of c.subs) lines.push(`        ${s.names.join("|")}) ${assign(s.flags)}${kindTest(s, 2)} ;;`);
    lines.push("      esac ;;");
  }
  lines.push("  esac");
  return lines;
}

/** Shell lines (the same in bash and zsh) that pick the command, subcommand and operand count out of the words. */
function findCommand(input: ScriptInput, wordsVar: string): string[] {
  const others = input.valueFlags.filter((f) => !input.globalValueFlags.includes(f));
  return [
    `    w="\${${wordsVar}[i]}"`,
    '    case "$w" in',
    ...(input.globalValueFlags.length ? [`      ${input.globalValueFlags.join("|")}) globals+=("$w" "\${${wordsVar}[i+1]}"); ((i++)) ;;`] : []),
    ...(others.length ? [`      ${others.join("|")}) ((i++)) ;;`] : []),
    "      -*) ;;",
    '      *) ((n++)); if [[ -z $cmd ]]; then cmd="$w"; elif [[ -z $sub ]]; then sub="$w"; fi ;;',
    "    esac",
  ];
}

/** After a value flag: its kind, or the shell's own completion (files) for any other value. */
function prevCases(input: ScriptInput, otherwise: string): string[] {
  const plain = input.valueFlags.filter((f) => !input.flagKinds.some(([k]) => k === f));
  return [
    '  case "$prev" in',
    ...input.flagKinds.map(([flag, kind]) => `    ${flag}) kind=${kind} ;;`),
    ...(plain.length ? [`    ${plain.join("|")}) ${otherwise} ;;`] : []),
    "  esac",
  ];
}

// ---- bash -------------------------------------------------------------------------------------

function bashScript(input: ScriptInput): string {
  const assign = (ws: Word[]) => `words="${ws.map((w) => w.word).join(" ")}"`;
  return [
    "# bash completion for muster; generated by `muster completion bash`.",
    "# Load it with: source <(muster completion bash)",
    "_muster() {",
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" sub="" kind="" words="" w i n=0',
    "  local -a globals=()",
    "  for ((i = 1; i < COMP_CWORD; i++)); do",
    ...findCommand(input, "COMP_WORDS"),
    "  done",
    ...prevCases(input, "COMPREPLY=(); return"),
    '  if [[ -z $kind ]]; then',
    ...commandCases(input.root, assign).map((l) => `  ${l}`),
    "  fi",
    '  if [[ -n $kind && $cur != -* ]]; then',
    "    compopt +o default 2>/dev/null   # no file names in place of values the coordinator did not give",
    `    COMPREPLY=($(compgen -W "$(muster "\${globals[@]}" ${COMPLETE_COMMAND} "$kind" "$cur" 2>/dev/null)" -- "$cur"))`,
    "    return",
    "  fi",
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    "}",
    "complete -o default -F _muster muster",
    "",
  ].join("\n");
}

// ---- zsh --------------------------------------------------------------------------------------

function zshScript(input: ScriptInput): string {
  const items = (ws: Word[]) => ws.map((w) => zshQuote(`${w.word.replace(/:/g, "\\:")}:${w.description}`)).join(" ");
  const assign = (ws: Word[]) => `cands=(${items(ws)})`;
  return [
    "#compdef muster",
    "# zsh completion for muster; generated by `muster completion zsh`.",
    "# Load it with: source <(muster completion zsh)   (after compinit), or save it as _muster in $fpath.",
    "compdef _muster muster",
    "_muster() {",
    '  local prev="${words[CURRENT-1]}" cmd="" sub="" kind="" w i n=0',
    "  local -a cands vals globals",
    "  for ((i = 2; i < CURRENT; i++)); do",
    ...findCommand(input, "words"),
    "  done",
    ...prevCases(input, "_files; return"),
    '  if [[ -z $kind ]]; then',
    ...commandCases(input.root, assign).map((l) => `  ${l}`),
    "  fi",
    '  if [[ -n $kind && $PREFIX != -* ]]; then',
    `    vals=(\${(f)"$(muster "\${globals[@]}" ${COMPLETE_COMMAND} "$kind" "$PREFIX" 2>/dev/null)"})`,
    "    compadd -a vals",
    "    return",
    "  fi",
    "  (( ${#cands} )) && _describe -t commands muster cands || _files",
    "}",
    '# Run at once when autoloaded from $fpath; sourcing only defines it.',
    'if [[ "${funcstack[1]}" == "_muster" ]]; then _muster "$@"; fi',
    "",
  ].join("\n");
}

const zshQuote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;
