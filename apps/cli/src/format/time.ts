// Times and ages for people: "2s ago", "in 59m", "14:03:22", "2025-01-31 14:03".

/** Coarse age: 0s..59s, 1m..59m, 1h..23h, then days; one unit, like kubectl. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

export function formatAgo(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? "-" : `${formatAge(ms)} ago`;
}

/** Age of an ISO timestamp relative to `now`; "-" when absent or unparseable. */
export function agoSince(iso: string | null | undefined, now: number): string {
  const t = parseIso(iso);
  return t === undefined ? "-" : formatAgo(now - t);
}

/** "in 59m" for a future ISO time, "3m ago" for a past one, "just now" within a second. */
export function relativeTo(iso: string | null | undefined, now: number): string {
  const t = parseIso(iso);
  if (t === undefined) return "-";
  // Whole seconds first, so a key made a few ms ago for 1h reads "in 1h", not "in 59m".
  const delta = Math.round((t - now) / 1000) * 1000;
  // Within a second either way (this machine's clock and the coordinator's never agree to the millisecond).
  if (delta === 0) return "just now";
  return delta > 0 ? `in ${formatAge(delta)}` : formatAgo(-delta);
}

/** Local clock time: "HH:MM:SS" on the same day as `now`, else "YYYY-MM-DD HH:MM". */
export function formatClock(iso: string | null | undefined, now: number): string {
  const t = parseIso(iso);
  if (t === undefined) return "-";
  const d = new Date(t);
  const today = new Date(now);
  const sameDay = d.getFullYear() === today.getFullYear() && d.getMonth() === today.getMonth() && d.getDate() === today.getDate();
  return sameDay ? hms(d) : `${ymd(d)} ${hms(d).slice(0, 5)}`;
}

/** Full local time with its age: "2025-01-31 14:03:22 (5m ago)". */
export function formatTimestamp(iso: string | null | undefined, now: number): string {
  const t = parseIso(iso);
  if (t === undefined) return "-";
  const d = new Date(t);
  return `${ymd(d)} ${hms(d)} (${relativeTo(iso, now)})`;
}

function parseIso(iso: string | null | undefined): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

const p2 = (n: number) => String(n).padStart(2, "0");
const ymd = (d: Date) => `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;
const hms = (d: Date) => `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
