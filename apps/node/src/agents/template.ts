// Custom agent command templates: `{{name}}` placeholders filled in per claim (DESIGN §7).

export const PLACEHOLDERS = ["prompt_file", "workdir", "model", "thinking"] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
/** Values for one claim; an unset model or thinking level is the empty string. */
export type TemplateVars = Record<Placeholder, string>;

const PLACEHOLDER_RE = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** Names of the placeholders an argument uses, known or not. */
export function placeholdersIn(arg: string): string[] {
  return [...arg.matchAll(PLACEHOLDER_RE)].map((m) => m[1]!);
}

export function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

/**
 * Fills in every argument. An argument that had a placeholder and becomes empty is dropped, so an
 * unset `{{model}}` leaves no empty argument behind (a flag written before it stays; write
 * `--model={{model}}` style flags in one argument when the tool accepts that).
 */
export function renderTemplate(args: readonly string[], vars: TemplateVars): string[] {
  const out: string[] = [];
  for (const arg of args) {
    let used = false;
    const rendered = arg.replace(PLACEHOLDER_RE, (whole, name: string) => {
      used = true;
      return isPlaceholder(name) ? vars[name] : whole;
    });
    if (used && rendered === "") continue;
    out.push(rendered);
  }
  return out;
}
