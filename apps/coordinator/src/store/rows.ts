// `db.execute` returns rows in a driver-specific shape: an array (postgres) or `{ rows }` (PGlite).
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
