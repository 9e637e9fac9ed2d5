// The web console in a real browser (Debian's Chromium through playwright-core) against a real coordinator and a
// real node daemon: signing in, the fleet, tasks with live logs, asks, join keys, API tokens, losing the coordinator, and the
// keyboard. Locators go by role and accessible name, so each one is also an accessibility check. Screenshots land in
// test-artifacts/screenshots/ for a person to look at.
/// <reference lib="dom" />
import type { Browser, BrowserContextOptions, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { browserMissing, launchBrowser, openPage, PHONE, shot, type ConsolePage } from "./harness/browser.js";
import { joinNode, startNode, tempDir, type NodeHandle } from "./harness/fleet.js";
import { api, disposeCoordinator, eventually, startCoordinator, startCoordinatorAgain, type CoordinatorHandle } from "./harness/processes.js";

const missing = browserMissing(); // throws in CI: there a missing browser fails the suite
if (missing) console.warn(`console browser tests skipped: ${missing}`);

const NODE = "browser-node";
/** How long the console may take to show something the coordinator already knows. */
const LIVE_MS = 10_000;

describe.skipIf(missing !== null)(`the console in Chromium${missing ? ` (skipped: ${missing})` : ""}`, () => {
  let c: CoordinatorHandle;
  let dir: ReturnType<typeof tempDir>;
  let node: NodeHandle;
  let browser: Browser;
  const open: ConsolePage[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    c = await startCoordinator("pglite");
    dir = tempDir("muster-browser-");
    const key = await api<{ key: string }>(c, "POST", "/v1/join-keys", { uses: 1, ttlMs: 600_000 });
    expect(key.status).toBe(201);
    node = startNode(await joinNode(c, dir.path, key.body.key, NODE, { labels: ["zone=browser"], capacity: 2 }));
    await eventually(async () => {
      const s = await api<any>(c, "GET", "/v1/status");
      return s.body.nodes.some((n: any) => n.name === NODE && n.state === "ready" && n.connected) ? true : undefined;
    }, 20_000, `${NODE} to be ready`);
  });

  afterEach(async () => {
    // An uncaught exception in the page fails the flow that caused it, even when the page looked right.
    const errors = open.flatMap((p) => p.errors);
    for (const p of open.splice(0)) await p.context.close();
    expect(errors, "uncaught errors in the console").toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await node?.proc.stop("SIGKILL");
    if (c) await disposeCoordinator(c);
    dir?.remove();
  });

  async function newPage(opts: BrowserContextOptions = {}): Promise<Page> {
    const p = await openPage(browser, c.url, opts);
    p.context.setDefaultTimeout(LIVE_MS);
    open.push(p);
    return p.page;
  }

  async function signIn(page: Page, token = c.token): Promise<void> {
    await page.getByLabel("API token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
  }

  /** A page signed in as the admin, showing `path`. */
  async function signedIn(path = "/", opts: BrowserContextOptions = {}): Promise<Page> {
    const page = await newPage(opts);
    await page.goto("/");
    await signIn(page);
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    if (path !== "/") await page.goto(path);
    return page;
  }

  const nav = (page: Page) => page.getByRole("navigation", { name: "Main" });
  const main = (page: Page) => page.getByRole("main");
  const textOf = (l: Locator) => async () => ((await l.count()) > 0 ? ((await l.first().textContent()) ?? "") : "");
  const nodeRow = (page: Page) => page.getByRole("row").filter({ hasText: NODE });

  it("a. signs in with the admin token into an HttpOnly session that survives reload, deep links and ends with Sign out", async () => {
    const page = await newPage();
    await page.goto("/");
    await page.getByRole("heading", { name: "Sign in to the fleet console" }).waitFor();
    await page.getByLabel("API token").waitFor();
    await shot(page, "a-signin");

    await signIn(page, "mat_nope_nopenopenopenopenopenopenope");
    await expect.poll(textOf(page.getByRole("alert")), { timeout: LIVE_MS }).toMatch(/not valid/);
    await shot(page, "a-signin-wrong-token");

    await signIn(page);
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await nav(page).getByRole("link", { name: "Fleet" }).waitFor();
    expect(await page.getByLabel("API token").count()).toBe(0);
    // The session lives in a cookie the page's scripts cannot read.
    expect(await page.evaluate(() => document.cookie)).not.toContain("muster_session");
    const cookie = (await page.context().cookies()).find((k) => k.name === "muster_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });

    await page.goto("/tasks");
    await expect.poll(() => nav(page).getByRole("link", { name: "Tasks" }).getAttribute("aria-current")).toBe("page");
    expect(await page.getByLabel("API token").count()).toBe(0);
    await page.reload();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/tasks");
    await expect.poll(() => nav(page).getByRole("link", { name: "Tasks" }).getAttribute("aria-current")).toBe("page");
    await shot(page, "a-tasks-deep-link");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to the fleet console" }).waitFor();
    await page.reload();
    await page.getByLabel("API token").waitFor();

    const phone = await newPage({ viewport: PHONE });
    await phone.goto("/");
    await phone.getByLabel("API token").waitFor();
    await shot(phone, "a-signin-phone");
    expect(await horizontalOverflow(phone)).toBe(0);
    await phone.emulateMedia({ colorScheme: "dark" });
    await shot(phone, "a-signin-phone-dark");
  });

  it("b. shows the node on the fleet page and cordons and uncordons it, updating live", async () => {
    const page = await signedIn("/");
    const row = nodeRow(page);
    await row.waitFor();
    await expect.poll(textOf(row)).toMatch(/ready/);
    await expect.poll(textOf(row)).toMatch(/0\s*\/\s*2/);
    for (const action of ["Cordon", "Drain", "Revoke"])
      await page.getByRole("button", { name: `${action} ${NODE}`, exact: true }).waitFor();
    await shot(page, "b-fleet");

    // Another tab: it must change through the live feed alone.
    const watcher = await page.context().newPage();
    await watcher.goto("/");
    await nodeRow(watcher).waitFor();

    await page.getByRole("button", { name: `Cordon ${NODE}`, exact: true }).click();
    await expect.poll(textOf(nodeRow(watcher)), { timeout: LIVE_MS }).toMatch(/cordoned/);
    await page.getByRole("button", { name: `Uncordon ${NODE}`, exact: true }).waitFor();
    await shot(watcher, "b-fleet-cordoned");
    expect((await api<any>(c, "GET", "/v1/nodes")).body.nodes.find((n: any) => n.name === NODE).state).toBe("cordoned");

    await page.getByRole("button", { name: `Uncordon ${NODE}`, exact: true }).click();
    await expect.poll(textOf(nodeRow(watcher)), { timeout: LIVE_MS }).toMatch(/ready/);
    await page.getByRole("button", { name: `Cordon ${NODE}`, exact: true }).waitFor();
    await watcher.close();

    await page.setViewportSize(PHONE);
    await shot(page, "b-fleet-phone");
    expect(await horizontalOverflow(page)).toBe(0);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: "dark" });
    await shot(page, "b-fleet-dark");
    // The system theme follows the browser: dark page, light text.
    expect(await luminance(page, "backgroundColor")).toBeLessThan(0.1);
    expect(await luminance(page, "color")).toBeGreaterThan(0.6);
  });

  it("c. submits an exec task from the form and follows its log live to success", async () => {
    const page = await signedIn("/tasks");
    // A second tab on the list: the new task must show up there without a reload.
    const list = await page.context().newPage();
    await list.goto("/tasks");
    await main(list).waitFor();

    await page.getByRole("button", { name: "New task" }).click();
    await fill(page.getByLabel("Agent", { exact: true }), "exec");
    await fill(
      page.getByLabel("Prompt", { exact: true }),
      `sh -c 'for i in 1 2 3 4 5; do echo line-$i; sleep 0.6; done'`,
    );
    await fill(page.getByLabel("Name", { exact: true }), "slow-lines");
    await fill(page.getByLabel("Labels", { exact: true }), "zone=browser");
    await fill(page.getByLabel("Timeout", { exact: true }), "2m");
    await fill(page.getByLabel("Max attempts", { exact: true }), "1");
    await shot(page, "c-task-form");
    await page.getByRole("button", { name: "Submit task" }).click();

    await page.waitForURL(/\/tasks\/[^/]+$/);
    const id = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
    const log = page.getByRole("log", { name: "Task log" });
    await expect.poll(textOf(log), { timeout: LIVE_MS }).toContain("line-1");
    // Seen while the task still runs: the log streams, it is not fetched once at the end.
    const early = await textOf(log)();
    expect(early).not.toContain("line-5");
    await shot(page, "c-task-running");
    await expect.poll(textOf(log), { timeout: LIVE_MS }).toContain("line-5");
    await expect.poll(textOf(main(page).locator(".page-header .badge")), { timeout: LIVE_MS }).toBe("succeeded");
    await shot(page, "c-task-succeeded");

    const task = (await api<any>(c, "GET", `/v1/tasks/${id}`)).body;
    expect(task).toMatchObject({ id, name: "slow-lines", agent: "exec", state: "succeeded", maxAttempts: 1, timeoutMs: 120_000 });
    expect(task.argv).toEqual(["sh", "-c", "for i in 1 2 3 4 5; do echo line-$i; sleep 0.6; done"]);

    await expect.poll(textOf(main(list)), { timeout: LIVE_MS }).toContain("slow-lines");
    await expect.poll(textOf(list.getByRole("row").filter({ hasText: "slow-lines" })), { timeout: LIVE_MS }).toMatch(/succeeded/);
    await shot(list, "c-tasks-list");
    await list.setViewportSize(PHONE);
    await shot(list, "c-tasks-list-phone");
    expect(await horizontalOverflow(list)).toBe(0);
    await page.setViewportSize(PHONE);
    await shot(page, "c-task-phone");
    expect(await horizontalOverflow(page)).toBe(0);
    await page.emulateMedia({ colorScheme: "dark" });
    await page.setViewportSize({ width: 1280, height: 800 });
    await shot(page, "c-task-dark");
  });

  it("d. shows a worker's question with a badge, takes the answer from a button and hands it to the worker", async () => {
    const page = await signedIn("/");
    await main(page).waitFor();
    expect(await page.getByTestId("asks-badge").count()).toBe(0);
    const submitted = await api<{ id: string }>(c, "POST", "/v1/tasks", {
      agent: "exec",
      name: "asks-to-deploy",
      argv: ["sh", "-c", 'a=$(muster ask "Deploy?" --options yes,no) && echo "answer: $a"'],
    });
    expect(submitted.status).toBe(201);
    const id = submitted.body.id;

    await expect.poll(textOf(page.getByTestId("asks-badge")), { timeout: LIVE_MS }).toBe("1");
    await shot(page, "d-asks-badge");
    await nav(page).getByRole("link", { name: /^Asks/ }).click();
    const question = main(page).getByRole("article").filter({ hasText: "Deploy?" });
    await question.waitFor();
    const answers = question.getByRole("group", { name: "Answers" });
    await answers.getByRole("button", { name: "no", exact: true }).waitFor();
    await shot(page, "d-asks-pending");
    await answers.getByRole("button", { name: "yes", exact: true }).click();

    await expect.poll(() => page.getByTestId("asks-badge").count(), { timeout: LIVE_MS }).toBe(0);
    // Answered asks move to the history, with the answer.
    const history = main(page).getByRole("region", { name: /answered/i });
    await expect.poll(textOf(history), { timeout: LIVE_MS }).toMatch(/Deploy\?[\s\S]*yes/);
    await expect.poll(() => answers.count(), { timeout: LIVE_MS }).toBe(0);
    await shot(page, "d-asks-answered");
    await page.emulateMedia({ colorScheme: "dark" });
    await shot(page, "d-asks-answered-dark");

    await page.goto(`/tasks/${encodeURIComponent(id)}`);
    await expect.poll(textOf(page.getByRole("log", { name: "Task log" })), { timeout: LIVE_MS }).toContain("answer: yes");
    await shot(page, "d-task-after-answer-dark");
  });

  it("e. creates a join key shown once with its join command, and revokes it live", async () => {
    const page = await signedIn("/join-keys");
    await fill(page.getByLabel("Uses", { exact: true }), "2");
    await fill(page.getByLabel("Expires in", { exact: true }), "1h");
    await fill(page.getByLabel("Labels", { exact: true }), "zone=b");
    await fill(page.getByLabel("Description", { exact: true }), "made in the browser test");
    await page.getByRole("button", { name: "Create join key" }).click();

    const shown = page.getByLabel("Join key", { exact: true });
    await expect.poll(textOf(shown), { timeout: LIVE_MS }).toMatch(/^\s*mjk_\S+\s*$/);
    const key = (await textOf(shown)()).trim();
    await page.getByRole("button", { name: "Copy key" }).waitFor();
    await page.getByRole("button", { name: "Copy command" }).waitFor();
    const command = new RegExp(`muster-node join ${escapeRe(c.url)}/? --name \\S+ --key ${escapeRe(key)}(\\s|$)`);
    expect(await textOf(page.getByLabel("Join command", { exact: true }))()).toMatch(command);
    await shot(page, "e-join-key-created");

    const created = (await api<any>(c, "GET", "/v1/join-keys")).body.joinKeys.find((k: any) => key.startsWith(`mjk_${k.id}_`));
    expect(created).toMatchObject({ uses: 2, labels: { zone: "b" }, description: "made in the browser test" });
    const table = page.getByRole("table", { name: "Join keys" });
    const row = table.getByRole("row").filter({ hasText: created.id });
    await expect.poll(textOf(row)).toMatch(/active/);

    // Another console watches the list: it must follow through the live feed alone.
    const watcher = await page.context().newPage();
    await watcher.goto("/join-keys");
    const watched = watcher.getByRole("table", { name: "Join keys" }).getByRole("row").filter({ hasText: created.id });
    await expect.poll(textOf(watched)).toMatch(/active/);
    // Shown once: another page never has the secret.
    expect(await textOf(watcher.getByRole("main"))()).not.toContain(key);

    await page.getByRole("button", { name: `Revoke join key ${created.id}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
    await expect.poll(textOf(row), { timeout: LIVE_MS }).toMatch(/revoked/);
    expect((await api<any>(c, "GET", "/v1/join-keys")).body.joinKeys.find((k: any) => k.id === created.id).state).toBe("revoked");
    await expect.poll(textOf(watched), { timeout: LIVE_MS, message: "another console's join key list to show the revoke live" }).toMatch(/revoked/);
    await watcher.close();
    await shot(page, "e-join-key-revoked");
    await page.setViewportSize(PHONE);
    await shot(page, "e-join-keys-phone");
    expect(await horizontalOverflow(page)).toBe(0);
    await page.emulateMedia({ colorScheme: "dark" });
    await shot(page, "e-join-keys-phone-dark");
  });

  it("h. makes a viewer token on the Tokens page, shows it once, and revoking it signs its console out", async () => {
    const admin = await signedIn("/tokens");
    await nav(admin).getByRole("link", { name: "Tokens" }).waitFor();
    await fill(admin.getByLabel("Name", { exact: true }), "browser-viewer");
    await fill(admin.getByLabel("Role", { exact: true }), "viewer");
    await admin.getByRole("button", { name: "Create token" }).click();

    const shown = admin.getByLabel("API token", { exact: true });
    await expect.poll(textOf(shown), { timeout: LIVE_MS }).toMatch(/^\s*mat_\S+\s*$/);
    const token = (await textOf(shown)()).trim();
    await admin.getByRole("button", { name: "Copy token" }).waitFor();
    const login = new RegExp(`^\\s*muster login ${escapeRe(c.url)}/? --token ${escapeRe(token)}\\s*$`);
    expect(await textOf(admin.getByLabel("Login command", { exact: true }))()).toMatch(login);
    const table = admin.getByRole("table", { name: "API tokens" });
    const row = table.getByRole("row").filter({ hasText: "browser-viewer" });
    await expect.poll(textOf(row)).toMatch(/viewer[\s\S]*active/);
    await shot(admin, "h-token-created");
    const created = (await api<any>(c, "GET", "/v1/tokens")).body.tokens.find((t: any) => token.startsWith(`mat_${t.id}_`));
    expect(created).toMatchObject({ name: "browser-viewer", role: "viewer", revokedAt: null });

    // A task that stays queued (no node has the label), so an operator would see Cancel on it.
    const queued = await api<{ id: string }>(c, "POST", "/v1/tasks", { agent: "exec", name: "viewer-sees-me", argv: ["true"], labels: { zone: "nowhere" } });
    expect(queued.status).toBe(201);
    const taskPath = `/tasks/${encodeURIComponent(queued.body.id)}`;

    // The viewer, in a browser of its own: sees the fleet and the task, but no button that changes anything.
    const viewer = await newPage();
    await viewer.goto("/");
    await signIn(viewer, token);
    await viewer.getByRole("button", { name: "Sign out" }).waitFor();
    await nodeRow(viewer).waitFor();
    expect(await nav(viewer).getByRole("link", { name: "Tokens" }).count()).toBe(0);
    for (const action of ["Cordon", "Uncordon", "Drain", "Revoke"])
      expect(await viewer.getByRole("button", { name: `${action} ${NODE}`, exact: true }).count(), action).toBe(0);
    await shot(viewer, "h-viewer-fleet");
    await viewer.goto(taskPath);
    await expect.poll(textOf(main(viewer)), { timeout: LIVE_MS }).toContain("viewer-sees-me");
    await expect.poll(textOf(main(viewer).locator(".page-header .badge"))).toBe("queued");
    expect(await viewer.getByRole("button", { name: "Cancel task" }).count()).toBe(0);
    await shot(viewer, "h-viewer-task");
    // The admin does see Cancel on the same page, so its absence above is the role at work.
    const adminTask = await admin.context().newPage();
    await adminTask.goto(taskPath);
    await adminTask.getByRole("button", { name: "Cancel task" }).waitFor();
    await adminTask.close();

    // The revoke dialog warns only for the token the console is signed in with.
    const me = (await api<any>(c, "GET", "/v1/whoami")).body;
    await admin.getByRole("button", { name: `Revoke token ${me.name}`, exact: true }).click();
    const dialog = admin.getByRole("dialog");
    await expect.poll(textOf(dialog)).toContain("This is the token you are signed in with");
    await shot(admin, "h-revoke-own-token-dialog");
    await dialog.getByRole("button", { name: "Keep it" }).click();

    await admin.getByRole("button", { name: "Revoke token browser-viewer", exact: true }).click();
    const revokeDialog = admin.getByRole("dialog", { name: "Revoke token browser-viewer?" });
    await revokeDialog.waitFor();
    expect(await textOf(revokeDialog)()).not.toContain("This is the token you are signed in with");
    await revokeDialog.getByRole("button", { name: "Revoke token" }).click();
    await expect.poll(textOf(row), { timeout: LIVE_MS }).toMatch(/revoked/);
    expect((await api<any>(c, "GET", "/v1/tokens")).body.tokens.find((t: any) => t.id === created.id).revokedAt).not.toBeNull();
    await shot(admin, "h-token-revoked");

    // The viewer's live feed is closed by the revoke; its reconnect meets a 401 and lands on the sign-in page.
    await viewer.getByRole("heading", { name: "Sign in to the fleet console" }).waitFor({ timeout: LIVE_MS });
    await expect.poll(textOf(viewer.getByRole("status").filter({ hasText: "Your session ended" }))).toContain("Sign in again");
    await shot(viewer, "h-viewer-signed-out");
    expect((await api(c, "GET", "/v1/whoami", undefined, token)).status).toBe(401);

    await admin.setViewportSize(PHONE);
    await shot(admin, "h-tokens-phone");
    expect(await horizontalOverflow(admin)).toBe(0);
    expect((await api(c, "POST", `/v1/tasks/${queued.body.id}/cancel`, {})).status).toBe(200);
  });

  it("i. keeps ten tabs of one browser live on one shared connection, every task log included", async () => {
    // A browser allows six HTTP/1.1 connections per host; ten tabs that each held their own streams would starve.
    const task = await api<any>(c, "POST", "/v1/tasks", {
      agent: "exec",
      name: "many-tabs",
      argv: ["sh", "-c", "i=0; while [ $i -lt 60 ]; do i=$((i+1)); echo tick-$i; sleep 0.25; done"],
      labels: { zone: "browser" },
      maxAttempts: 1,
    });
    expect(task.status).toBe(201);
    const first = await signedIn(`/tasks/${task.body.id}`);
    const tabs = [first];
    for (let i = 1; i < 10; i++) {
      const tab = await first.context().newPage();
      await tab.goto(i % 2 ? `/tasks/${task.body.id}` : "/");
      tabs.push(tab);
    }
    const lastFleet = tabs.filter((_, i) => i > 0 && i % 2 === 0).at(-1)!;
    const lastTask = tabs.at(-1)!;
    const log = lastTask.getByRole("log", { name: "Task log" });
    await expect.poll(textOf(log), { timeout: LIVE_MS }).toMatch(/tick-\d+/);
    const seen = Number(/tick-(\d+)(?![\s\S]*tick-)/.exec(await textOf(log)())?.[1]);
    // Still moving: later lines arrive in the tenth tab while the other nine stay open.
    await expect.poll(async () => Number(/tick-(\d+)(?![\s\S]*tick-)/.exec(await textOf(log)())?.[1]), { timeout: LIVE_MS }).toBeGreaterThan(seen + 3);
    // A node change reaches the last fleet tab too, and the tab holding the connection can close without the rest
    // going stale.
    await first.close();
    try {
      await api(c, "POST", `/v1/nodes/${encodeURIComponent(NODE)}/cordon`);
      await expect.poll(textOf(nodeRow(lastFleet)), { timeout: LIVE_MS }).toContain("cordoned");
    } finally {
      await api(c, "POST", `/v1/nodes/${encodeURIComponent(NODE)}/uncordon`);
    }
    await expect.poll(textOf(nodeRow(lastFleet)), { timeout: LIVE_MS }).toMatch(/ready|busy/);
    await shot(lastTask, "i-tenth-tab-log");
    await api(c, "POST", `/v1/tasks/${task.body.id}/cancel`);
  });

  it("j. refuses bad input in its forms with field errors and creates nothing", async () => {
    const tasksBefore = (await api<any>(c, "GET", "/v1/tasks?limit=500")).body.tasks.length;
    const keysBefore = (await api<any>(c, "GET", "/v1/join-keys")).body.joinKeys.length;

    const page = await signedIn("/tasks");
    await page.getByRole("button", { name: "New task" }).click();
    await fill(page.getByLabel("Agent", { exact: true }), "exec");
    await fill(page.getByLabel("Prompt", { exact: true }), "   ");
    await fill(page.getByLabel("Timeout", { exact: true }), "soon");
    await fill(page.getByLabel("Max attempts", { exact: true }), "0");
    await page.getByRole("button", { name: "Submit task" }).click();
    for (const label of ["Prompt", "Timeout", "Max attempts"])
      await expect.poll(() => page.getByLabel(label, { exact: true }).getAttribute("aria-invalid")).toBe("true");
    await expect.poll(textOf(main(page))).toContain("A whole number from 1 to 20.");
    expect(new URL(page.url()).pathname).toBe("/tasks");
    await shot(page, "j-task-form-errors");

    await page.goto("/join-keys");
    await fill(page.getByLabel("Uses", { exact: true }), "lots");
    await fill(page.getByLabel("Expires in", { exact: true }), "soon");
    await fill(page.getByLabel("Labels", { exact: true }), "gpu");
    await page.getByRole("button", { name: "Create join key" }).click();
    for (const label of ["Uses", "Expires in", "Labels"])
      await expect.poll(() => page.getByLabel(label, { exact: true }).getAttribute("aria-invalid")).toBe("true");
    await expect.poll(textOf(main(page))).toContain("is not key=value");
    expect(await page.getByTestId("join-key").count()).toBe(0);
    await shot(page, "j-join-key-errors");

    expect((await api<any>(c, "GET", "/v1/tasks?limit=500")).body.tasks.length).toBe(tasksBefore);
    expect((await api<any>(c, "GET", "/v1/join-keys")).body.joinKeys.length).toBe(keysBefore);
  });

  it("g. can be used from the keyboard: skip link first, nav links reachable, every task form field labelled", async () => {
    const page = await signedIn("/");
    await page.goto("/");
    await nodeRow(page).waitFor();
    await page.keyboard.press("Tab");
    expect(await focusedName(page)).toBe("Skip to content");
    await shot(page, "g-skip-link");
    const reached: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press("Tab");
      reached.push(await focusedName(page));
    }
    for (const link of ["Fleet", "Tasks", "Asks", "Join keys"]) expect(reached).toContain(link);
    // Following the skip link, the next Tab lands inside the page's content, past the navigation.
    await page.goto("/");
    await nodeRow(page).waitFor();
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.closest("main") !== null)).toBe(true);

    await page.goto("/tasks");
    await page.getByRole("button", { name: "New task" }).click();
    for (const label of ["Agent", "Prompt", "Name", "Labels", "Priority", "Timeout", "Max attempts"]) {
      const field = page.getByLabel(label, { exact: true });
      expect(await field.count(), `fields labelled "${label}"`).toBe(1);
      expect(await field.evaluate((el) => ["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName))).toBe(true);
    }
    // No input on the form is left without a name.
    const unnamed = await page.evaluate(() => {
      const form = document.querySelector("main form");
      if (!form) return ["no form"];
      return Array.from(form.querySelectorAll("input, select, textarea"))
        .filter((el) => (el as HTMLInputElement).type !== "hidden")
        .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
        .map((el) => el.outerHTML.slice(0, 120));
    });
    expect(unnamed).toEqual([]);
    await page.getByRole("button", { name: "Submit task" }).waitFor();
    await shot(page, "g-task-form");
  });

  it("f. says when the coordinator is gone and recovers without a reload when it is back", async () => {
    const page = await signedIn("/");
    await nodeRow(page).waitFor();
    // Set on this document; a reload would lose it.
    await page.evaluate(() => ((window as any).__sameDocument = true));
    await c.stop();
    const banner = page.getByRole("status").filter({ hasText: "Lost contact with the coordinator" });
    await banner.waitFor({ timeout: 5_000 });
    await shot(page, "f-coordinator-lost");

    c = await startCoordinatorAgain(c);
    await banner.waitFor({ state: "detached", timeout: 15_000 });
    await expect.poll(textOf(nodeRow(page)), { timeout: LIVE_MS }).toMatch(/ready/);
    await nav(page).getByRole("link", { name: "Tasks" }).click();
    await expect.poll(textOf(main(page)), { timeout: LIVE_MS }).toContain("slow-lines");
    // The live feed is back too: a task submitted now shows up by itself.
    const after = await api(c, "POST", "/v1/tasks", { agent: "exec", name: "after-restart", argv: ["true"] });
    expect(after.status).toBe(201);
    await expect.poll(textOf(main(page)), { timeout: LIVE_MS }).toContain("after-restart");
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    await shot(page, "f-coordinator-back");
  });
});

/** Types into an input or textarea, or picks an option of a select. */
async function fill(field: Locator, value: string): Promise<void> {
  if ((await field.evaluate((el) => el.tagName)) === "SELECT") await field.selectOption(value);
  else await field.fill(value);
}

/** The accessible name (near enough: aria-label, else text) of the focused element. */
function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el) return "";
    return (el.getAttribute("aria-label") ?? el.textContent ?? "").trim();
  });
}

/** How many CSS pixels the page is wider than the window: anything over 0 scrolls sideways on a phone. */
function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
}

/** Relative luminance (0 black to 1 white) of the body's background or text colour. */
function luminance(page: Page, prop: "backgroundColor" | "color"): Promise<number> {
  return page.evaluate((p) => {
    const [r, g, b] = getComputedStyle(document.body)[p].match(/[\d.]+/g)!.map(Number).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  }, prop);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
