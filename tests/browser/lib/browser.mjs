// Headless chromium through playwright-core (installed by the browser_npm_ci ctest fixture into the build dir,
// hence createRequire: the test files live in the source tree), plus the console helpers the tests share:
// sign-in through the UI, screenshots at 1280 and 400 px with the overflow check, and failure artifacts.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const VIEWPORT = { width: 1280, height: 800 };
const NARROW = { width: 400, height: 800 };

function loadPlaywright() {
  const modules = process.env.EDGE_BROWSER_NODE_MODULES;
  if (!modules || !existsSync(path.join(modules, 'playwright-core'))) {
    throw new Error(`playwright-core is not installed in EDGE_BROWSER_NODE_MODULES (${modules}): run the ctest ` +
      'fixture browser_npm_ci (npm ci in <build>/browser-node); if npm is missing, run scripts/bootstrap.sh');
  }
  return createRequire(path.join(modules, '..', 'package.json'))('playwright-core');
}

export function artifactsDir() {
  const dir = process.env.EDGE_BROWSER_ARTIFACTS || path.resolve('browser-artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

// Launches chromium with a fresh profile (launch() makes a temp user-data-dir and removes it on close).
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`chromium is missing at ${executablePath}: apt-get install chromium (or run scripts/bootstrap.sh)`);
  }
  const { chromium } = loadPlaywright();
  const browser = await chromium.launch({
    executablePath,
    // headless: false because '--headless=new' below selects the mode explicitly; playwright then adds none of its
    // headless flags, so --hide-scrollbars is ours: overlay scrollbars, as on a phone, and full-page screenshots
    // as wide as the layout (a classic 15 px scrollbar would crop them).
    headless: false,
    timeout: 30000,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps',
      '--hide-scrollbars', '--mute-audio'],
  });
  return browser;
}

// A new context (its own cookie jar) and page at 1280x800, with bounded waits.
export async function newPage(browser) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.setDefaultNavigationTimeout(15000);
  // Kept for the failure artifacts; the tests assert on uncaught errors and CSP violations (the pages must
  // run under the strict policy of docs/console.md 2.1). Failed requests (401 after sign-out) are normal.
  page.jsErrors = [];
  page.uncaught = [];
  page.cspViolations = [];
  page.on('pageerror', (e) => { page.uncaught.push(String(e)); page.jsErrors.push(String(e)); });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    page.jsErrors.push(m.text());
    if (/Content Security Policy/i.test(m.text())) page.cspViolations.push(m.text());
  });
  return page;
}

export const tid = (page, id) => page.getByTestId(id);

// Signs in through the link's page: the page must not use the token by itself, the button does.
export async function signIn(page, link) {
  await page.goto(link);
  await tid(page, 'signin-button').click();
  await page.waitForURL((u) => u.pathname === '/console/', { timeout: 15000 });
  await tid(page, 'session-org').waitFor({ state: 'visible' });
}

// Polls `fn` (async) until it returns a truthy value; returns it, or throws `what` after `timeoutMs`.
export async function waitFor(what, fn, timeoutMs = 20000, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// Saves <name>-1280.png and <name>-400.png and asserts the page has no horizontal overflow at 400 px.
export async function shoot(page, name) {
  const dir = artifactsDir();
  await page.setViewportSize(VIEWPORT);
  await page.screenshot({ path: path.join(dir, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize(NARROW);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: path.join(dir, `${name}-400.png`), fullPage: true });
  // clientWidth excludes a vertical scrollbar: content wider than that is cut off or scrolls sideways too.
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
  await page.setViewportSize(VIEWPORT);
  const limit = Math.min(NARROW.width, clientWidth) + 1;
  assert.ok(scrollWidth <= limit,
    `${name} overflows horizontally at 400 px (scrollWidth ${scrollWidth}, clientWidth ${clientWidth})`);
}

// Runs `fn`; on a failure saves a screenshot of `getPage()`'s page and the platform's log tail into the
// artifacts dir, prints their paths, and rethrows.
export async function withArtifacts(name, getState, fn) {
  // A passing run removes what an earlier failing run of this test left, so FAILED-* files are always current.
  for (const stale of [`FAILED-${name}.png`, `FAILED-${name}-platform.log`]) {
    rmSync(path.join(artifactsDir(), stale), { force: true });
  }
  try {
    await fn();
  } catch (e) {
    const dir = artifactsDir();
    const { page, platform } = getState();
    const shot = path.join(dir, `FAILED-${name}.png`);
    const log = path.join(dir, `FAILED-${name}-platform.log`);
    try {
      if (page) await page.screenshot({ path: shot, fullPage: true, timeout: 5000 });
    } catch { /* the page may be gone */ }
    try {
      const jsErrors = page?.jsErrors?.length ? `--- page errors:\n${page.jsErrors.join('\n')}\n` : '';
      writeFileSync(log, jsErrors + (platform ? await platform.logTail(200) : '(no platform)'));
    } catch { /* best effort */ }
    console.error(`# failure artifacts: ${shot}\n#                    ${log}`);
    throw e;
  }
}
