// Light, dark, or whatever the system prefers; remembered in this browser.
export type Theme = "system" | "light" | "dark";
const KEY = "muster.theme";

export function storedTheme(): Theme {
  const t = localStorage.getItem(KEY);
  return t === "light" || t === "dark" ? t : "system";
}

export function applyTheme(t: Theme): void {
  if (t === "system") document.documentElement.removeAttribute("data-theme");
  else document.documentElement.setAttribute("data-theme", t);
  if (t === "system") localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, t);
}
