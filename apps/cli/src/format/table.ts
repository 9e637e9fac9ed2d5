// Aligned plain-text tables: widths from the widest cell, two spaces between columns.

export type Align = "left" | "right";

export interface TableOptions {
  /** Per-column alignment; left by default. */
  align?: readonly Align[];
  /** Per-column painters (colour) for body cells, applied after the widths are measured. */
  paint?: readonly (((text: string) => string) | undefined)[];
}

/** Renders rows under upper-case headers; every line ends without trailing spaces. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], opts: TableOptions = {}): string {
  const cells = [headers, ...rows].map((row) => headers.map((_, i) => cleanCell(row[i] ?? "")));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => width(row[i]!))));
  return cells
    .map((row, r) =>
      row
        .map((cell, i) => {
          const pad = " ".repeat(widths[i]! - width(cell));
          const paint = r > 0 ? opts.paint?.[i] : undefined;
          const shown = paint ? paint(cell) : cell;
          return opts.align?.[i] === "right" ? pad + shown : shown + pad;
        })
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** `key: value` lines with the keys padded to one width. */
export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const w = Math.max(0, ...fields.map(([k]) => width(k) + 1));
  return fields.map(([k, v]) => `${`${k}:`.padEnd(w)}  ${cleanCell(v)}`.trimEnd()).join("\n");
}

/** Control characters (newlines, escapes) from server data would break the layout or the terminal. */
export function cleanCell(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ");
}

/** Display width in code points; good enough for the ASCII-heavy data shown here. */
export function width(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Shortens text to `max` code points, ending in "…" when cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}
