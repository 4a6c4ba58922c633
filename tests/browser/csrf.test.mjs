// Issue 6 acceptance 5: CSRF (a cross-origin form and a token-less fetch change nothing), the secret shown once,
// and signing out (the notice, then 401 from the API; a used link stays used).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Platform } from './lib/platform.mjs';
import { launchBrowser, newPage, shoot, signIn, tid, waitFor, withArtifacts } from './lib/browser.mjs';

let platform;
let browser;
let page;
let attacker;
let link;
const state = () => ({ page, platform });

// A fetch from the page's own context (the console origin, with its cookie): {status, text, code}.
const pageFetch = (method, route, { body, headers } = {}) => page.evaluate(async ([m, r, b, h]) => {
  const res = await fetch(r, { method: m, body: b, headers: h });
  const text = await res.text();
  let code = null;
  try { code = JSON.parse(text).error?.code ?? null; } catch { /* not JSON */ }
  return { status: res.status, text, code };
}, [method, route, body, headers]);

before(async () => {
  platform = await Platform.start();
  browser = await launchBrowser();
  page = await newPage(browser);
  link = await platform.consoleLink();
  await signIn(page, link);
});
after(async () => {
  await new Promise((resolve) => (attacker ? attacker.close(resolve) : resolve()));
  await browser?.close();
  await platform?.stop();
});

test('a cross-origin form POST with the session cookie creates nothing', { timeout: 60000 }, () =>
  withArtifacts('csrf-form', state, async () => {
    const before = (await platform.deployments()).length;
    // text/plain lets a form send a JSON body ({"name":"evil","x":"="}), so only the CSRF checks stop it.
    const html = `<!doctype html><form method="POST" enctype="text/plain"
      action="${platform.apiUrl}/api/v1/deployments"><input name='{"name":"evil","x":"' value='"}'></form>
      <script>document.forms[0].submit()</script>`;
    attacker = createServer((req, res) => { res.setHeader('Content-Type', 'text/html'); res.end(html); });
    await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const answer = page.waitForResponse((r) => r.url() === `${platform.apiUrl}/api/v1/deployments` &&
      r.request().method() === 'POST', { timeout: 15000 });
    await page.goto(`http://127.0.0.1:${attacker.address().port}/`);
    const response = await answer;
    assert.equal(response.status(), 403, 'the forged POST is refused');
    assert.equal((await response.json()).error?.code, 'csrf_rejected');
    assert.equal((await platform.deployments()).length, before, 'no deployment was created');
  }));

test('the pages hold no token: the cookie is HttpOnly and nothing is stored', { timeout: 60000 }, () =>
  withArtifacts('no-token', state, async () => {
    for (const route of ['/console/', '/console/bundles.html', '/console/tools.html']) {
      await page.goto(`${platform.apiUrl}${route}`);
      await tid(page, 'session-org').waitFor({ state: 'visible' });
      await waitFor(`${route} shows the org`, async () => (await tid(page, 'session-org').innerText()).trim() !== '');
      const seen = await page.evaluate(() => ({
        cookie: document.cookie, local: localStorage.length, session: sessionStorage.length,
        html: document.documentElement.outerHTML,
      }));
      assert.equal(seen.cookie, '', `${route}: the session cookie is invisible to scripts (HttpOnly)`);
      assert.equal(seen.local + seen.session, 0, `${route}: nothing in web storage`);
      // A JWT starts with the base64 of '{"' (eyJ); the admin token must appear nowhere in the page.
      assert.doesNotMatch(seen.html, /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, `${route}: no JWT in the page`);
      assert.ok(!seen.html.includes(platform.token), `${route}: no admin token in the page`);
    }
  }));

test('a fetch with the cookie but without X-CSRF-Token is refused', { timeout: 60000 }, () =>
  withArtifacts('csrf-fetch', state, async () => {
    await page.goto(`${platform.apiUrl}/console/`);
    await tid(page, 'deployments-table').waitFor();
    const before = (await platform.deployments()).length;
    const r = await pageFetch('POST', '/api/v1/deployments',
      { body: JSON.stringify({ name: 'no-csrf' }), headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.code, 'csrf_rejected', r.text);
    assert.equal((await platform.deployments()).length, before);
    assert.equal((await pageFetch('GET', '/api/v1/deployments')).status, 200, 'reads need no token');
  }));

// After the dialog closes, the secret is in neither the page, nor any answer the page can fetch, nor a reload.
async function assertSecretGone(secret, id) {
  const html = await page.content();
  const at = html.indexOf(secret);
  assert.ok(at < 0, `the secret is still in the page: …${html.slice(Math.max(0, at - 300), at + 80)}…`);
  for (const route of [`/api/v1/deployments/${id}`, '/api/v1/deployments']) {
    const r = await pageFetch('GET', route);
    assert.equal(r.status, 200, `${route}: ${r.text}`);
    assert.ok(!r.text.includes(secret), `${route} does not answer the secret`);
  }
  await page.reload();
  await page.locator(`tr[data-deployment-id="${id}"]`).waitFor();
  assert.ok(!(await page.content()).includes(secret), 'the secret is not shown after a reload');
}

test('a created or rotated secret is shown once', { timeout: 60000 }, () =>
  withArtifacts('secret-once', state, async () => {
    await page.goto(`${platform.apiUrl}/console/`);
    await tid(page, 'create-name').fill('secret-site');
    await tid(page, 'create-deployment').click();
    await tid(page, 'secret-dialog').waitFor({ state: 'visible' });
    const id = (await tid(page, 'secret-deployment-id').innerText()).trim();
    const secret = (await tid(page, 'secret-value').innerText()).trim();
    assert.ok(secret.length >= 16, 'the dialog shows the secret');
    await tid(page, 'secret-close').click();
    await tid(page, 'secret-dialog').waitFor({ state: 'hidden' });
    await assertSecretGone(secret, id);

    // Rotate (after a confirmation): a new secret, shown once too.
    await page.locator(`tr[data-deployment-id="${id}"]`).getByTestId('rotate-secret').click();
    await tid(page, 'confirm-dialog').waitFor({ state: 'visible' });
    await tid(page, 'confirm-ok').click();
    await tid(page, 'secret-dialog').waitFor({ state: 'visible' });
    const rotated = (await tid(page, 'secret-value').innerText()).trim();
    assert.ok(rotated.length >= 16 && rotated !== secret, 'the dialog shows the new secret');
    await shoot(page, 'secret-rotated');
    await tid(page, 'secret-close').click();
    await tid(page, 'secret-dialog').waitFor({ state: 'hidden' });
    await assertSecretGone(rotated, id);
  }));

test('sign-out shows the notice, and the API answers 401; the used link stays used', { timeout: 60000 }, () =>
  withArtifacts('signout', state, async () => {
    await page.goto(`${platform.apiUrl}/console/`);
    await tid(page, 'signout').click();
    const notice = tid(page, 'signed-out');
    await notice.waitFor({ state: 'visible' });
    assert.match(await notice.innerText(), /Signed out/);
    assert.match(await notice.innerText(), /edge-platform admin console-link --org/);
    assert.equal((await pageFetch('GET', '/api/v1/deployments')).status, 401);
    assert.equal((await pageFetch('GET', '/console/api/session')).status, 401);
    const cookies = await page.context().cookies(platform.apiUrl);
    assert.equal(cookies.filter((c) => c.name === 'edge_console').length, 0, 'the cookie is cleared');

    // Any page opened now shows the notice instead of its content.
    await page.goto(`${platform.apiUrl}/console/tools.html`);
    await notice.waitFor({ state: 'visible' });

    // The link used at sign-in cannot sign in again: the page says so as text.
    await page.goto(link);
    await tid(page, 'signin-button').click();
    const alert = tid(page, 'alert');
    await waitFor('the sign-in refusal', () => alert.isVisible());
    assert.match(await alert.innerText(), /already used or has expired/);
    assert.doesNotMatch(await alert.innerText(), /^\s*\{/);
    await shoot(page, 'signin-refused');
    assert.deepEqual(page.uncaught, [], 'no uncaught page errors');
    assert.deepEqual(page.cspViolations, [], 'no Content-Security-Policy violations');
  }));
