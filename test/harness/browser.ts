// A real browser for the console tests: Debian's Chromium driven by playwright-core (no downloaded browsers), and
// screenshots under test-artifacts/screenshots/ at the repository root.
/// <reference lib="dom" />
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { ROOT } from "./paths.js";

export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = join(ROOT, "test-artifacts", "screenshots");

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/**
 * Why the browser tests cannot run here, or null when they can. In CI a missing browser is an error, never a
 * skip: `.ci/run` installs Chromium, so its absence means the CI image is broken.
 */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const why = `Chromium is not installed at ${CHROMIUM} (install it with: apt-get install chromium)`;
  if (process.env.CI) throw new Error(`The console browser tests must run in CI, but ${why}.`);
  return why;
}

export async function launchBrowser(): Promise<Browser> {
  const missing = browserMissing();
  if (missing) throw new Error(missing);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions in the page; a console that throws is broken even when it looks fine. */
  errors: string[];
}

/** A fresh browser context (its own cookies) with one page on `baseURL`. */
export async function openPage(browser: Browser, baseURL: string, opts: BrowserContextOptions = {}): Promise<ConsolePage> {
  const context = await browser.newContext({ baseURL, viewport: DESKTOP, ...opts });
  const errors: string[] = [];
  // Every page of the context, including tabs a test opens later.
  context.on("page", (p) => p.on("pageerror", (err) => errors.push(`${p.url()}: ${err.name}: ${err.message}`)));
  const page = await context.newPage();
  return { context, page, errors };
}

/** Saves a screenshot of the whole page as test-artifacts/screenshots/<name>.png and returns its path. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  // From the top: a full-page shot of a scrolled page paints the sticky header halfway down.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: true, caret: "hide" });
  return path;
}
